"""Fine-tuning in the classic ``pytorch_lightning`` style: the module loads a pretrained encoder
from a weights file named by a path argument and trains a new classification head on it."""
