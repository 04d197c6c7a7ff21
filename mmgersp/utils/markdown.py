"""Markdown tables of result rows, for the benchmark tools' reports."""
from typing import Iterable, List, Optional


def cell(value) -> str:
    """One table cell: 3 significant digits below 100, whole numbers above;
    a dict of counts as ``key xN`` (``none`` when empty); None as ``-``."""
    if isinstance(value, float):
        return f'{value:.0f}' if abs(value) >= 100 else f'{value:.3g}'
    if isinstance(value, dict):
        return ', '.join(f'{k} x{n}'
                         for k, n in sorted(value.items())) or 'none'
    return '-' if value is None else str(value)


def markdown_table(rows: List[dict],
                   keys: Optional[Iterable[str]] = None) -> str:
    """``rows`` as a markdown table, columns ``keys`` (default: the first
    row's keys); a missing value is ``-``."""
    if not rows:
        return ''
    keys = list(keys or rows[0])
    lines = ['| ' + ' | '.join(keys) + ' |', '|' + '---|' * len(keys)]
    lines += ['| ' + ' | '.join(cell(r.get(k)) for k in keys) + ' |'
              for r in rows]
    return '\n'.join(lines)
