"""GeRSP: remote-sensing contrastive learning boosted by natural-image labels.

One file holds the whole algorithm (Huang et al., TGRS 2024, arXiv 2401.04614):

* **RSCL** -- MoCo-style InfoNCE between the student's query view and the EMA
  teacher's key view of the *same unlabeled RS image*, against a queue of RS
  keys gathered from every rank.
* **NIAL** -- plain cross-entropy of a linear classifier on the student's
  pooled features of *labeled natural images*.

``loss = loss_contrast + alpha * loss_cls``. The model owns its teacher: it
builds it, copies the student into it (:meth:`GeRSP.init_teacher`) and moves it
by EMA (:meth:`GeRSP.momentum_update`); :class:`mmgersp.engine.GeRSPEMAHook`
only decides *when* and with which momentum. The batch layout is checked once,
before step 1, by :meth:`GeRSP.check_batch_layout`.

Any mmpretrain backbone whose last output is a feature map ``(N, C, H, W)``
(ResNet, Swin, ConvNeXt with ``gap_before_final_norm=False``) or a pooled
vector ``(N, C)`` (ConvNeXt's default) works: both the student and the
teacher pool with :func:`mmgersp.models.utils.pool_last_output`, and the
projector and classifier widths left as ``None``/``'auto'`` in a config are
the backbone's, measured once when the model is built.
"""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_gather
from mmpretrain.models.selfsup import BaseSelfSupervisor
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import (backbone_width, batch_shuffle_ddp, batch_unshuffle_ddp,
                     pool_last_output)

TEACHER_PROJECTOR_MODES = ('ema', 'frozen')
# A head width written as one of these in a config is the backbone's.
AUTO_WIDTH = (None, 'auto')


def _fill_width(cfg: Optional[dict], keys: Tuple[str, ...],
                width: int) -> Optional[dict]:
    """A copy of a head config with its ``None``/``'auto'`` widths set."""
    if not isinstance(cfg, dict):
        return cfg
    cfg = copy.copy(cfg)
    for key in keys:
        if key in cfg and cfg[key] in AUTO_WIDTH:
            cfg[key] = width
    return cfg


@MODELS.register_module()
class GeRSP(BaseSelfSupervisor):
    """GeRSP pre-training algorithm.

    Expects the batch layout produced by ``DualStreamSampler`` +
    ``dual_stream_collate`` + ``DualStreamDataPreprocessor``::

        inputs       = {'rs': [rs_query_view, rs_key_view], 'nat': nat_img}
        data_samples = {'rs': [...], 'nat': [...], 'nat_labels': (M, )}

    Args:
        backbone (dict): Student backbone, e.g. mmpretrain ``ResNet`` with
            ``out_indices=(3, )``, ``SwinTransformer`` or ``ConvNeXt``: its
            last output must be a map or a pooled vector (checked here, by
            a forward pass of a zero image). It is what
            ``tools/model_converters/export_backbone.py`` exports
            (``backbone.*`` keys).
        neck (dict): Projector applied to pooled RS features, e.g.
            ``MoCoV2Neck(2048, 2048, 128, with_avg_pool=False)`` -- the
            official MLP without BN. ``in_channels``/``hid_channels`` given
            as ``None`` or ``'auto'`` become the backbone's width.
        head (dict): ``ContrastiveHead``: its ``temperature`` and
            ``loss_module`` make the InfoNCE.
        cls_head (dict): Classifier on pooled natural-image features, e.g.
            ``LinearClsHead(num_classes=1000, in_channels=2048)``; its ``fc``
            and ``loss_module`` make the cross-entropy. ``in_channels=None``
            or ``'auto'``: the backbone's width.
        queue_len (int): Number of RS keys kept as negatives. Must be a
            multiple of the global RS batch (``check_batch_layout``, before
            the first step). Defaults to 65536.
        feat_dim (int): Projector output size. Defaults to 128.
        alpha (float): Weight of the natural-image cross-entropy.
            Defaults to 1.0.
        joint_forward (bool): Run the student once over ``cat([rs_query,
            nat])`` so BatchNorm statistics mix both domains, as the official
            code does. ``False`` runs two forwards (per-domain BN
            statistics). Defaults to True.
        teacher_projector (str): ``'ema'`` (paper: the teacher's projector
            follows the student's by EMA) or ``'frozen'`` (official code: the
            projector is copied once at iteration 0 and never updated).
            Defaults to ``'ema'``.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 head: dict,
                 cls_head: dict,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 alpha: float = 1.0,
                 joint_forward: bool = True,
                 teacher_projector: str = 'ema',
                 pretrained: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[List[dict], dict]] = None) -> None:
        if teacher_projector not in TEACHER_PROJECTOR_MODES:
            raise ValueError(f'teacher_projector must be one of '
                             f'{TEACHER_PROJECTOR_MODES}, got '
                             f'{teacher_projector!r}')
        if queue_len <= 0 or feat_dim <= 0:
            raise ValueError('queue_len and feat_dim must be positive, got '
                             f'queue_len={queue_len}, feat_dim={feat_dim}')
        data_preprocessor = data_preprocessor or {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'DualStreamDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        # Built in BaseSelfSupervisor's order (preprocessor, backbone, neck,
        # head; then the classifier), so a seeded build draws the same
        # initial weights as before the widths were measured.
        backbone, width = self._build_backbone(backbone)
        super().__init__(
            backbone=backbone,
            neck=_fill_width(neck, ('in_channels', 'hid_channels'), width),
            head=head,
            pretrained=pretrained,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.cls_head = MODELS.build(_fill_width(cls_head, ('in_channels', ),
                                                 width))
        self.feat_width = width
        self.alpha = alpha
        self.joint_forward = joint_forward
        self.teacher_projector = teacher_projector

        # The teacher never receives gradients; its weights come from the
        # student (init_teacher before step 1, so whatever init_weights()
        # does to it here is overwritten; then momentum_update).
        self.teacher = nn.ModuleDict(
            dict(
                backbone=copy.deepcopy(self.backbone),
                neck=copy.deepcopy(self.neck)))
        self.teacher.requires_grad_(False)

        # Keys are stored row-wise (queue_len, feat_dim) so that enqueueing
        # writes contiguous memory.
        self.queue_len = queue_len
        self.register_buffer(
            'queue', F.normalize(torch.randn(queue_len, feat_dim), dim=1))
        self.register_buffer('queue_ptr', torch.zeros(1, dtype=torch.long))

    @staticmethod
    def _build_backbone(
            backbone: Union[dict, nn.Module]) -> Tuple[nn.Module, int]:
        """The student backbone and its pooled width, measured by a forward
        pass of a zero image: an output that cannot be pooled is refused
        here, at build time, not at step 1 (the error names the setting)."""
        if not isinstance(backbone, nn.Module):
            backbone = MODELS.build(backbone)
        try:
            width = backbone_width(backbone)
        except ValueError as err:
            raise ValueError(
                f'model.backbone ({type(backbone).__name__}): {err}') from None
        return backbone, width

    # ------------------------------------------------------------------
    # the teacher, and the batch layout it depends on
    # ------------------------------------------------------------------
    def teacher_student_pairs(self) -> List[Tuple[nn.Module, nn.Module]]:
        """(teacher, student) module pairs that follow the student by EMA."""
        pairs = [(self.teacher['backbone'], self.backbone)]
        if self.teacher_projector == 'ema':
            pairs.append((self.teacher['neck'], self.neck))
        return pairs

    @torch.no_grad()
    def init_teacher(self) -> None:
        """Teacher (backbone and projector) := student, before step 1."""
        self.teacher['backbone'].load_state_dict(self.backbone.state_dict())
        self.teacher['neck'].load_state_dict(self.neck.state_dict())

    @torch.no_grad()
    def momentum_update(self, momentum: float) -> None:
        """``teacher = m * teacher + (1 - m) * student``, after a step.

        One fused lerp per module pair. BatchNorm buffers (running
        statistics) are copied from the student, as in mmpretrain's MoCo:
        mmengine's ``ExponentialMovingAverage(update_buffers=False)`` keeps
        the averaged model's buffers in sync with the source model
        (``BaseAveragedModel.update_parameters``).
        """
        for teacher, student in self.teacher_student_pairs():
            torch._foreach_lerp_(list(teacher.parameters()),
                                 [p.detach() for p in student.parameters()],
                                 1.0 - momentum)
            for t_buf, s_buf in zip(teacher.buffers(), student.buffers()):
                t_buf.copy_(s_buf)

    def check_batch_layout(self,
                           n_rs: int,
                           world_size: int,
                           n_nat: Optional[int] = None,
                           batch_size: Optional[int] = None) -> None:
        """The one check of the batch layout, before step 1.

        ``DualStreamSampler`` puts ``n_rs`` RS and ``n_nat`` natural samples
        in every batch, so the dataloader's ``batch_size`` must be their sum;
        every step enqueues ``n_rs * world_size`` keys at a pointer that must
        wrap exactly at ``queue_len``.
        """
        if batch_size is not None and batch_size != n_rs + (n_nat or 0):
            raise ValueError(
                f'train_dataloader.batch_size={batch_size} must equal '
                f'sampler n_rs + n_nat = {n_rs} + {n_nat}')
        global_rs = n_rs * world_size
        if global_rs <= 0 or self.queue_len % global_rs != 0:
            raise ValueError(
                f'model.queue_len={self.queue_len} must be a multiple of the '
                f'global RS batch n_rs x world_size = {n_rs} x {world_size} '
                f'= {global_rs}; change model.queue_len or '
                'train_dataloader.sampler.n_rs.')

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    @staticmethod
    def _pool(feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """(N, C) from the last backbone output: a map is average-pooled,
        a vector (ConvNeXt's default) is used as it is."""
        return pool_last_output(feats)

    def _student_features(
            self, rs_query: torch.Tensor,
            nat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        if self.joint_forward:
            feats = self._pool(self.backbone(torch.cat([rs_query, nat])))
            return feats[:rs_query.shape[0]], feats[rs_query.shape[0]:]
        return (self._pool(self.backbone(rs_query)),
                self._pool(self.backbone(nat)))

    @torch.no_grad()
    def _teacher_keys(self, rs_key: torch.Tensor) -> torch.Tensor:
        """L2-normalised keys with shuffle-BN across ranks."""
        shuffled, idx_unshuffle = batch_shuffle_ddp(rs_key)
        feats = self._pool(self.teacher['backbone'](shuffled))
        k = F.normalize(self.teacher['neck']([feats])[0], dim=1)
        return batch_unshuffle_ddp(k, idx_unshuffle)

    @torch.no_grad()
    def _dequeue_and_enqueue(self, keys: torch.Tensor) -> None:
        """Write the keys of every rank (gathered in rank order)."""
        keys = torch.cat(all_gather(keys), dim=0)
        batch = keys.shape[0]  # divides queue_len: see check_batch_layout
        # The pointer stays a tensor: reading it with int() would force a
        # host-device sync on every step.
        rows = self.queue_ptr + torch.arange(batch, device=keys.device)
        self.queue.index_copy_(0, rows, keys.to(self.queue.dtype))
        self.queue_ptr.add_(batch).remainder_(self.queue_len)

    def loss(self, inputs: Dict[str, Union[List[torch.Tensor], torch.Tensor]],
             data_samples: Dict[str, Union[List[DataSample], torch.Tensor]],
             **kwargs) -> Dict[str, torch.Tensor]:
        """Both GeRSP losses for one dual-stream batch.

        Returns ``loss_contrast`` and ``loss_cls`` (already multiplied by
        ``alpha``) plus ``acc_contrast`` (% of queries whose positive beats
        every queued negative) and ``acc_cls`` (top-1 % on natural images).
        Nothing here waits for the device: targets are made on it and the
        heads' ``loss()`` helpers (which build targets on the host) are
        bypassed for their modules.
        """
        if not isinstance(inputs, dict) or 'rs' not in inputs:
            raise TypeError(
                'GeRSP.loss expects the dual-stream batch {"rs": [query, key],'
                ' "nat": images}; build the dataloader with DualStreamSampler '
                'and collate_fn=dict(type="dual_stream_collate").')
        rs_query, rs_key = inputs['rs']
        feat_rs, feat_nat = self._student_features(rs_query, inputs['nat'])

        # RSCL: InfoNCE against the positive key and the queued negatives.
        q = F.normalize(self.neck([feat_rs])[0], dim=1)
        k = self._teacher_keys(rs_key)
        l_pos = (q * k).sum(dim=1, keepdim=True)
        # clone: the queue is overwritten below but is saved for backward.
        l_neg = q @ self.queue.clone().detach().t().to(q.dtype)
        logits = torch.cat([l_pos, l_neg], dim=1) / self.head.temperature
        positive = logits.new_zeros(logits.shape[0], dtype=torch.long)
        loss_contrast = self.head.loss_module(logits, positive)

        # NIAL: supervised cross-entropy on the natural images.
        labels = self._labels(data_samples, feat_nat.device)
        cls_score = self.cls_head((feat_nat, ))
        loss_cls = self.cls_head.loss_module(
            cls_score, labels, avg_factor=cls_score.shape[0])

        self._dequeue_and_enqueue(k.detach())
        with torch.no_grad():
            acc_contrast = (logits.argmax(dim=1) == 0).float().mean() * 100
            acc_cls = (cls_score.argmax(dim=1) == labels).float().mean() * 100
        return dict(
            loss_contrast=loss_contrast,
            loss_cls=self.alpha * loss_cls,
            acc_contrast=acc_contrast,
            acc_cls=acc_cls)

    @staticmethod
    def _labels(data_samples: dict, device: torch.device) -> torch.Tensor:
        """Natural labels: the collated tensor, else from the samples."""
        labels = data_samples.get('nat_labels')
        if labels is None:
            labels = torch.cat([s.gt_label for s in data_samples['nat']])
        return labels.to(device, non_blocking=True)
