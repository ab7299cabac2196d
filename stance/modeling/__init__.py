"""Pretrained encoders offline and safely, batching and pooling for them, fine-tuning, distillation, temperature calibration and the model card."""
