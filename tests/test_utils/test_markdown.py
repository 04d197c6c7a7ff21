"""markdown_table formats result rows as the reports print them."""
from mmgersp.utils.markdown import cell, markdown_table


def test_cells():
    assert [cell(v) for v in (0.012345, 1.5, 99.94, 1234.56, 3, None, {},
                              {'nonzero': 1, 'd2h_copy': 2}, 'gersp')] == [
        '0.0123', '1.5', '99.9', '1235', '3', '-', 'none',
        'd2h_copy x2, nonzero x1', 'gersp']


def test_table_columns_and_missing_values():
    rows = [dict(model='gersp', sps=12.25, syncs={}),
            dict(model='moco', sps=20.0, syncs={'_local_scalar_dense': 3})]
    assert markdown_table(rows) == '\n'.join([
        '| model | sps | syncs |', '|---|---|---|',
        '| gersp | 12.2 | none |',
        '| moco | 20 | _local_scalar_dense x3 |'])
    assert markdown_table(rows, ['model', 'peak']) == '\n'.join([
        '| model | peak |', '|---|---|', '| gersp | - |', '| moco | - |'])
    assert markdown_table([]) == ''
