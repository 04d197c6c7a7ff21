from mmengine.dataset import BaseDataset


class IndexDataset(BaseDataset):
    """A dataset whose samples are their own indices (sampler tests)."""

    def __init__(self, length: int):
        self.length = length
        super().__init__(serialize_data=False)

    def load_data_list(self):
        return [dict(index=i) for i in range(self.length)]


def index_dataset(length: int) -> IndexDataset:
    return IndexDataset(length)
