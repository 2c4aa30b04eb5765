"""Dependencies of ingest-api routes, as Annotated aliases."""

from typing import Annotated

from fastapi import Depends, Path, Request

from producers.ingest_api.publisher import EventPublisher
from producers.ingest_api.settings import IngestSettings

ID_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"


def get_publisher(request: Request) -> EventPublisher:
    """The app's event publisher, made in the lifespan."""
    publisher: EventPublisher = request.app.state.publisher
    return publisher


def get_settings(request: Request) -> IngestSettings:
    """The app's settings."""
    settings: IngestSettings = request.app.state.settings
    return settings


PublisherDep = Annotated[EventPublisher, Depends(get_publisher)]
SettingsDep = Annotated[IngestSettings, Depends(get_settings)]
PathId = Annotated[str, Path(pattern=ID_PATTERN)]
