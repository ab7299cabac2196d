"""Pretrained encoders offline and safely, encoding, batching and pooling for them, fine-tuning, distillation and temperature calibration."""
