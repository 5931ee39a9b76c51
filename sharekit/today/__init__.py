"""What to share today: per channel, the products most worth sharing now, with reasons.

``pick_today(ws)`` reads the store (prices it saw, coupons, commission, availability, what was
shared where, what each channel bought) and returns :class:`ChannelPicks`; ``render_picks``
turns them into posters and share texts and records the shares.
"""

from .pick import ChannelPicks, Pick, Rules, pick_today
from .posters import render_picks
from .score import Weights

__all__ = ["ChannelPicks", "Pick", "Rules", "Weights", "pick_today", "render_picks"]
