"""Dependencies of ingest-api routes, as Annotated aliases over what ``create_app`` keeps in app.state."""

from typing import Annotated

from fastapi import Depends

from infra.http import from_state
from producers.ingest_api.publisher import EventPublisher
from producers.ingest_api.settings import IngestSettings

PublisherDep = Annotated[EventPublisher, Depends(from_state("publisher"))]
SettingsDep = Annotated[IngestSettings, Depends(from_state("settings"))]
