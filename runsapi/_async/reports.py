"""Reports: W&B's saved views of type "runs". A project's reports, and a report by id."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from runsapi._async._pagination import AsyncPaginator
from runsapi._exceptions import NotFoundError
from runsapi._json import decode_object
from runsapi._pages import Page, page_of
from runsapi._paths import ProjectPath, ReportPath
from runsapi._time import as_utc

if TYPE_CHECKING:
    from runsapi._async._gql import ReportData
    from runsapi._async._session import AsyncSession


@dataclass(frozen=True)
class ReportAuthor:
    """The user who wrote a report."""

    username: str | None
    email: str | None
    photo_url: str | None


@dataclass(frozen=True)
class AsyncReport:
    """A report of a project: its title (`display_name`), description, author and spec
    (the layout W&B's report editor saved, decoded)."""

    id: str
    name: str | None
    """The view's name (what `Api.reports(name=...)` matches), not its title."""
    display_name: str | None
    """The title."""
    description: str | None
    user: ReportAuthor | None
    spec: dict[str, Any] = field(compare=False, repr=False)
    created_at: datetime | None
    updated_at: datetime | None
    entity: str
    project: str
    url: str | None = field(compare=False)
    """The report's page in the web app (None for a report without a title)."""

    @classmethod
    def _from(cls, data: ReportData, where: ProjectPath, app_url: str) -> AsyncReport:
        author = data.user
        return cls(
            id=data.id,
            name=data.name,
            display_name=data.display_name,
            description=data.description,
            user=ReportAuthor(author.username, author.email, author.photo_url) if author else None,
            spec=decode_object(data.spec, what=f"the spec of report {data.id}"),
            created_at=as_utc(data.created_at),
            updated_at=as_utc(data.updated_at),
            entity=where.entity,
            project=where.project,
            url=_report_url(app_url, where, data.display_name, data.id),
        )

    @property
    def sections(self) -> list[dict[str, Any]]:
        """The spec's panel groups (`panelGroups`); empty when it has none."""
        groups = self.spec.get("panelGroups")
        return list(groups) if isinstance(groups, list) else []


def _report_url(app_url: str, where: ProjectPath, title: str | None, report_id: str) -> str | None:
    """A report's page as W&B's app spells it (and the official client builds it):
    `<app>/entity/project/reports/<title made URL-safe>--<id without '='>`."""
    if not title or not report_id:
        return None
    slug = re.sub(r"-+", "-", re.sub(r"\W", "-", title)).strip("-")
    project = "/".join(quote(part, safe="") for part in (where.entity, where.project))
    return f"{app_url}/{project}/reports/{quote(slug)}--{report_id.replace('=', '')}"


def list_reports(
    session: AsyncSession, where: ProjectPath, name: str | None, per_page: int
) -> AsyncPaginator[AsyncReport]:
    """The reports of a project, oldest first; with `name`, those of that view name."""

    async def fetch(cursor: str | None, size: int) -> Page[ReportData]:
        project = (
            await session.gql.project_reports(
                entity=where.entity, project=where.project, name=name, cursor=cursor, per_page=size
            )
        ).project
        if project is None:
            raise NotFoundError(f"project {where} not found", path=str(where))
        return page_of(project.all_views)

    app_url = session.settings.app_url
    return AsyncPaginator(
        fetch=fetch,
        convert=lambda nodes: [AsyncReport._from(node, where, app_url) for node in nodes],
        identity=lambda report: report.id,
        per_page=per_page,
        what="reports",
    )


async def find_report(session: AsyncSession, path: ReportPath) -> AsyncReport:
    """The report `path` names, if it is in that path's project (one request).

    Report URLs spell the id without its base64 padding; it is put back before asking.
    """
    padded = path.report_id + "=" * (-len(path.report_id) % 4)
    view = (await session.gql.report_by_id(id=padded)).view
    where = ProjectPath(path.entity, path.project)
    found_in = view.project if view else None
    if (
        view is None
        or found_in is None
        or ProjectPath(found_in.entity_name, found_in.name) != where
    ):
        raise NotFoundError(f"report {path} not found", path=str(path))
    return AsyncReport._from(view, where, session.settings.app_url)
