"""MemoryMeter and memory_breakdown report what was allocated."""
import torch

from mmgersp.utils.memory_meter import MemoryMeter, memory_breakdown


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
