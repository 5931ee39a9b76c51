"""Local fakes (real HTTP servers on 127.0.0.1) of Alimama's TOP gateway and Amazon's Creators API."""

from .creators import CreatorsFake
from .top import TopFake

__all__ = ["CreatorsFake", "TopFake"]
