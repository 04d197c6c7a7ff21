"""SyncCounter sees what makes the host wait for the device."""
import torch

from mmgersp.utils.sync_counter import SyncCounter, count_sync_ops


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
