"""Run files: listing, upload through createRunFiles + PUT, download, deletion."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx

from runsapi.server import LocalServer
from tests.server.conftest import Client

FILES = """
query($run: String!, $names: [String], $pattern: String, $cursor: String, $first: Int) {
  project(name: "demo-project", entityName: "demo") {
    internalId
    run(name: $run) {
      fileCount
      files(names: $names, pattern: $pattern, after: $cursor, first: $first) {
        edges { node { id name url directUrl sizeBytes md5 mimetype updatedAt } cursor }
        pageInfo { endCursor hasNextPage }
      }
    }
  }
}
"""
CREATE = """
mutation($run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: "demo", projectName: "demo-project", runName: $run, files: $files}) {
    runID uploadHeaders files { name uploadUrl }
  }
}
"""


def _run_name(server: LocalServer) -> str:
    assert server.seeded is not None
    return server.seeded.run_names[0]


def test_upload_download_round_trip(fresh: LocalServer, fresh_client: Client) -> None:
    run = _run_name(fresh)
    payload = bytes(range(256)) * 40
    created = fresh_client.data(CREATE, {"run": run, "files": ["media/weights.bin", "notes.txt"]})[
        "createRunFiles"
    ]
    assert created["uploadHeaders"] == ["Content-Type:application/octet-stream"]
    upload = {file["name"]: file["uploadUrl"] for file in created["files"]}
    headers = dict(header.split(":", 1) for header in created["uploadHeaders"])
    auth = ("api", fresh.api_key)
    # Signed URLs, PUT without an API key, as the official client does.
    assert all(f"{fresh.base_url}/_storage/files/" in url for url in upload.values())
    assert (
        httpx.put(upload["media/weights.bin"], content=payload, headers=headers).status_code == 200
    )
    listed = fresh_client.data(FILES, {"run": run, "names": ["media/weights.bin"]})["project"][
        "run"
    ]
    node = listed["files"]["edges"][0]["node"]
    assert node["sizeBytes"] == len(payload)
    assert node["md5"] == base64.b64encode(hashlib.md5(payload).digest()).decode()
    assert listed["fileCount"] == 5
    for url in (node["url"], node["directUrl"]):
        download = httpx.get(url, auth=auth)
        assert download.status_code == 200 and download.content == payload
    # A signed URL is for its file only: another file's row, or a GET, is refused.
    row = int(upload["notes.txt"].split("/_storage/files/")[1].split("?")[0])
    other = upload["notes.txt"].replace(f"/files/{row}?", f"/files/{row + 1}?")
    assert httpx.put(other, content=b"x").status_code == 403
    assert httpx.get(upload["notes.txt"]).status_code == 405
    # The keyed route takes uploads too, of files that createRunFiles announced only.
    assert httpx.put(node["url"], content=payload, auth=auth).status_code == 200
    stray = node["url"].replace("weights.bin", "stray.bin")
    assert httpx.put(stray, content=b"x", auth=auth).status_code == 404
    assert fresh_client.data(
        'mutation($r: String!) { markRunFilesUploaded(input: {entityName: "demo", projectName: "demo-project", runName: $r, files: ["notes.txt"]}) { success } }',
        {"r": run},
    )["markRunFilesUploaded"]["success"]


def test_an_upload_url_of_a_deleted_file_answers_404(
    fresh: LocalServer, fresh_client: Client
) -> None:
    run = _run_name(fresh)
    (created,) = fresh_client.data(CREATE, {"run": run, "files": ["gone.txt"]})["createRunFiles"][
        "files"
    ]
    file_id = int(created["uploadUrl"].split("/_storage/files/")[1].split("?")[0])
    with fresh.store.write() as conn:
        conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
    assert httpx.put(created["uploadUrl"], content=b"late").status_code == 404
    assert not fresh.store.file_path(file_id).exists()


def test_create_run_files_for_a_missing_run_is_an_error(fresh_client: Client) -> None:
    assert "not found" in fresh_client.errors(CREATE, {"run": "nope", "files": ["a"]})[0]


def test_names_pattern_and_pages(seeded: LocalServer, client: Client) -> None:
    run = _run_name(seeded)
    everything = client.data(FILES, {"run": run, "names": []})["project"]["run"]
    assert [edge["node"]["name"] for edge in everything["files"]["edges"]] == [
        "wandb-metadata.json",
        "config.yaml",
        "output.log",
    ]
    by_pattern = client.data(FILES, {"run": run, "pattern": "%.json"})["project"]["run"]["files"][
        "edges"
    ]
    assert [edge["node"]["name"] for edge in by_pattern] == ["wandb-metadata.json"]
    assert by_pattern[0]["node"]["mimetype"] == "application/json"
    names: list[str] = []
    cursor = None
    while True:
        page = client.data(FILES, {"run": run, "first": 2, "cursor": cursor})["project"]["run"][
            "files"
        ]
        names += [edge["node"]["name"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        cursor = page["edges"][-1]["cursor"]
    assert len(names) == 3
    metadata = client.data(FILES, {"run": run, "names": ["wandb-metadata.json"]})["project"]["run"][
        "files"
    ]["edges"][0]["node"]
    content = httpx.get(metadata["url"], auth=("api", seeded.api_key)).content
    assert json.loads(content)["program"] == "train.py"


def test_delete_files_removes_rows_and_bytes(fresh: LocalServer, fresh_client: Client) -> None:
    run = _run_name(fresh)
    listed = fresh_client.data(FILES, {"run": run, "names": ["config.yaml"]})["project"]
    node = listed["run"]["files"]["edges"][0]["node"]
    file_path = fresh.store.file_path(int(base64.b64decode(node["id"]).decode().rsplit(":", 1)[1]))
    assert file_path.exists()
    deleted = fresh_client.data(
        "mutation($files: [ID!]!, $projectId: Int) { deleteFiles(input: {files: $files, projectId: $projectId}) { success } }",
        {"files": [node["id"]], "projectId": int(listed["internalId"])},
    )
    assert deleted["deleteFiles"]["success"] is True
    assert not file_path.exists()
    assert httpx.get(node["url"], auth=("api", fresh.api_key)).status_code == 404
    assert fresh_client.data(FILES, {"run": run})["project"]["run"]["fileCount"] == 2
