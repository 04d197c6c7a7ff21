"""Start pre-training from existing weights (torchvision, timm, GeRSP)."""
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS
from mmpretrain.utils import get_ori_model


@HOOKS.register_module()
class BackboneInitHook(Hook):
    """Load ``checkpoint`` strictly into the student backbone (and teacher).

    ``checkpoint`` is any file ``mmgersp.apis.export.read_backbone_weights``
    reads: a torchvision ResNet state dict (e.g. ImageNet weights; its
    ``fc.*`` is ignored), a timm export folder or ``.safetensors`` file, an
    exported/published GeRSP backbone or a GeRSP training checkpoint (its
    student). Every backbone tensor must come from the file and every
    tensor of the file must be used; otherwise training stops before step 1
    with the names of the missing/unexpected tensors (mmengine's
    ``init_cfg=Pretrained`` would only log them).

    Runs in ``before_train`` at iteration 0 only, after mmengine's
    ``init_weights()``, and before ``GeRSPEMAHook`` (priority ``HIGH`` <
    ``ABOVE_NORMAL``) copies the student into the teacher; the teacher's
    backbone is set here too, so it holds the same weights whatever runs
    next. A resumed run (iteration > 0) keeps what it resumed.
    ``tools/train.py --init-from FILE`` adds this hook.
    """

    priority = 'HIGH'

    def __init__(self, checkpoint: str, prefix: str = 'backbone.') -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix

    def before_train(self, runner) -> None:
        if runner.iter > 0:
            print_log(f'BackboneInitHook: resumed at iteration {runner.iter}'
                      f'; not loading {self.checkpoint}', logger='current')
            return
        from mmgersp.apis.export import load_backbone_weights
        model = get_ori_model(runner.model)
        report = load_backbone_weights(model.backbone, self.checkpoint,
                                       self.prefix)
        teacher = getattr(model, 'teacher', None)
        if teacher is not None and 'backbone' in teacher:
            teacher['backbone'].load_state_dict(model.backbone.state_dict())
        print_log(f'BackboneInitHook: {len(report.loaded)} backbone tensors '
                  f'loaded from {self.checkpoint} (strict)'
                  + (' into student and teacher' if teacher is not None
                     else ''), logger='current')
