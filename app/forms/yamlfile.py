"""YAML reading that remembers where each key and item came from.

Pydantic reports an error as a path (`fields.3.range.min`); `line_of` turns that path back
into the line of the YAML file, so every problem can be reported as `file:line: message`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from app.forms.problems import DefinitionError, Problem


class LineDict(dict[Any, Any]):
    line: int
    key_lines: dict[Any, int]


class LineList(list[Any]):
    line: int
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    duplicate_keys: list[tuple[int, str]]

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LineDict:
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in result:
                self.duplicate_keys.append((key_node.start_mark.line + 1, str(key)))
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    lambda loader, node: loader.construct_mapping(node),  # type: ignore[arg-type]
)
_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
    lambda loader, node: loader.construct_sequence(node),  # type: ignore[arg-type]
)
# YAML 1.1 reads `yes`, `no`, `on` as booleans; in a clinical form they are words.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def read_yaml(path: Path, shown_as: str) -> Any:
    """Parse one YAML file; malformed YAML and duplicate keys raise a DefinitionError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError([Problem(shown_as, 1, f"cannot read file: {exc}")]) from exc
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        node: Node | None = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise DefinitionError([Problem(shown_as, line, f"malformed YAML: {exc.problem}")]) from exc
    except yaml.YAMLError as exc:
        raise DefinitionError([Problem(shown_as, 1, f"malformed YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    if loader.duplicate_keys:
        raise DefinitionError(
            [Problem(shown_as, line, f"duplicate key '{key}'") for line, key in loader.duplicate_keys]
        )
    return data


def line_of(data: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest element of `loc` that exists in the parsed document."""
    line = getattr(data, "line", 1)
    node = data
    for step in loc:
        if isinstance(node, LineDict) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, LineList) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line
