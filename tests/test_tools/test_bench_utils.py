"""tools/analysis_tools/bench_utils.py: the benchmark tools' instruments
(memory, host-device syncs) and report tables measure what they claim."""
import torch

from tests.conftest import load_tool

bench = load_tool('analysis_tools/bench_utils.py')
MemoryMeter, memory_breakdown = bench.MemoryMeter, bench.memory_breakdown
SyncCounter, count_sync_ops = bench.SyncCounter, bench.count_sync_ops
cell, markdown_table = bench.cell, bench.markdown_table


def test_cpu_peak_above_start_sees_a_large_buffer():
    meter = MemoryMeter(torch.device('cpu'))
    assert meter.kind in ('cpu_rss_hwm', 'cpu_ru_maxrss')
    base = meter.start()
    assert base > 0
    x = torch.ones(64 * 2**20 // 4)  # 64 MB, touched
    peak = meter.peak_above_start_mb()
    del x
    if meter.kind == 'cpu_rss_hwm':  # a per-interval peak: exact enough
        assert 60 < peak < 200, peak
    else:
        assert peak >= 0


def test_memory_breakdown_accounts_each_part():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(256, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 10))
    model.register_buffer('queue', torch.zeros(1024, 64))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(128, 256)

    def step():
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()

    step()  # creates the momentum buffers
    out = memory_breakdown(model, opt, step)
    n_params = 256 * 512 + 512 + 512 * 10 + 10
    mb = 4 / 2**20
    assert out['params_mb'] == out['grads_mb'] == n_params * mb
    assert out['optimizer_state_mb'] == n_params * mb  # momentum
    assert out['buffers_mb'] == 1024 * 64 * mb
    # saved for backward: the input, the first output (ReLU's input) and
    # the ReLU output (the second Linear's input), 128 x (256 + 512 + 512)
    assert out['saved_for_backward_mb'] >= 128 * (256 + 512) * mb
    assert out['total_mb'] == sum(v for k, v in out.items()
                                  if k != 'total_mb')


def test_counts_item_and_data_dependent_shapes():
    x = torch.arange(6.)

    def step():
        x.sum().item()              # _local_scalar_dense
        int(x[0])                   # _local_scalar_dense
        bool(x.max() > 2)           # _local_scalar_dense (via is_nonzero)
        x.nonzero()                 # nonzero
        torch.masked_select(x, x > 1)

    counts = count_sync_ops(step)
    assert counts['_local_scalar_dense'] >= 3
    assert counts['nonzero'] == 1
    assert counts['masked_select'] == 1


def test_device_side_code_counts_nothing():
    x = torch.randn(4, 8)
    w = torch.randn(8, 3, requires_grad=True)

    def step():
        y = torch.where(x > 0, x, 0.) @ w
        y.sum().backward()
        w.data.add_(w.grad, alpha=-0.1)

    assert count_sync_ops(step) == {}


def test_context_manager_accumulates():
    with SyncCounter() as c:
        for _ in range(3):
            torch.ones(2).sum().item()
    assert c.counts == {'_local_scalar_dense': 3}


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
