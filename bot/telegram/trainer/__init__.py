"""Trainers in the chat (groups, members, invites, pushes, answers and feedback) and
what professionals do with pushes, feedback and their own answers.

One module per screen; `router` routes commands, buttons and typed text to them.
"""

from bot.telegram.trainer.router import TrainerChannel

__all__ = ["TrainerChannel"]
