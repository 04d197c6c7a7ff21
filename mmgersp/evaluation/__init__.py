"""Frozen-feature evaluation of backbones (kNN, linear probe, Grad-CAM,
t-SNE) for the analysis tools and FeatureEvalHook; not imported by
``import mmgersp``."""
from mmgersp.datasets.class_folders import (deterministic_split,
                                            scan_class_folders, write_ann_file,
                                            write_split)
from .backbone import (RANDOM, backbone_state_dict, checkpoint_label,
                       classifier_head, describe_backbone, infer_resnet_cfg,
                       last_feature_map, load_backbone, meta_backbone_cfg,
                       normalization_from_meta, pooled_features)
from .cam import grad_cam
from .data import IMAGENET_MEAN, IMAGENET_STD, ImageListDataset, load_image
from .feature_eval import (FeatureEvalData, LinearProbe, evaluate_backbone,
                           evaluate_features, extract_features,
                           fit_linear_probe, knn_predict, top1)
from .tsne import tsne

__all__ = [
    'RANDOM', 'backbone_state_dict', 'checkpoint_label', 'classifier_head',
    'describe_backbone', 'infer_resnet_cfg', 'last_feature_map',
    'load_backbone', 'meta_backbone_cfg', 'normalization_from_meta',
    'pooled_features', 'grad_cam', 'IMAGENET_MEAN', 'IMAGENET_STD',
    'ImageListDataset', 'deterministic_split', 'load_image',
    'scan_class_folders', 'write_ann_file', 'write_split', 'FeatureEvalData',
    'LinearProbe', 'evaluate_backbone', 'evaluate_features',
    'extract_features', 'fit_linear_probe', 'knn_predict', 'top1', 'tsne'
]
