"""Reading a text/event-stream body (the subset the server sends: id, event, data, comments)."""

import json
from typing import Iterator


def read_events(response) -> Iterator["object"]:
    from .client import Event

    fields = {}
    data_lines = []
    while True:
        raw = response.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data_lines:
                body = json.loads("\n".join(data_lines))
                yield Event(
                    id=fields.get("id", body.get("id", "")),
                    type=body.get("type", fields.get("event", "message")),
                    study_id=body.get("studyId"),
                    created_at=body.get("createdAt", ""),
                    data=body.get("data") or {},
                )
            fields, data_lines = {}, []
            continue
        if line.startswith(":"):
            continue  # a keep-alive comment
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data_lines.append(value)
        else:
            fields[name] = value
