"""Pretrained encoders offline and safely, fine-tuning, temperature calibration and the model card."""
