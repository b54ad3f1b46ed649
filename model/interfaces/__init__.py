"""Training objectives: the math of a diffusion/flow objective, apart from any network. The trainer calls
`objective.loss(...)`; samplers read the prediction through `objective.split(...)`."""
from model.interfaces.flow_matching import RectifiedFlow

__all__ = ["RectifiedFlow"]
