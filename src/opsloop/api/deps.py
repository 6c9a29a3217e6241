"""Typed dependencies shared by the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from opsloop.security.actor import Actor, os_user_actor
from opsloop.services.context import Platform


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_actor(x_opsloop_actor: Annotated[str | None, Header()] = None) -> Actor:
    # Until access control lands (a later issue), the caller names itself; embedded
    # callers are the OS user.
    return Actor(name=x_opsloop_actor) if x_opsloop_actor else os_user_actor()


PlatformDep = Annotated[Platform, Depends(get_platform)]
ActorDep = Annotated[Actor, Depends(get_actor)]
