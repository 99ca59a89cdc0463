# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: context_hash
short_description: Content tag of a Docker build context
version_added: 0.1.0
description:
  - Returns a hex digest over the files of a Docker build context (path, executable bit and content of
    every file that C(.dockerignore) does not exclude, in sorted order) and the build arguments.
  - The same sources and arguments always give the same tag, on any machine and in any checkout; any
    change to a file sent to the Docker daemon, to the Dockerfile or to a build argument gives another.
  - C(.dockerignore) is honoured the way Docker reads it (C(*), C(?), C(**), C(!) exceptions, the last
    matching line wins, a matching directory excludes what is inside); the Dockerfile and
    C(.dockerignore) themselves are always hashed, as they shape the image.
  - Symbolic links are hashed by the path they point to, not by the content of their target.
  - Fails when a term is not a directory, or when O(length) is outside 8-64.
options:
  _terms:
    description:
      - Path of the build context (a directory); one digest per term.
      - A relative path is taken from the current working directory of C(ansible-playbook), not from the
        playbook's folder, so prefer an absolute one (for example under C(playbook_dir) or C(role_path)).
    required: true
    type: list
    elements: path
  build_args:
    description: Build arguments (they change the image, so they change the tag).
    type: dict
    default: {}
  extra:
    description: Anything else that should change the tag (e.g. the base image's id).
    type: str
    default: ""
  length:
    description: Number of hex characters returned (8-64), the start of the sha256 digest.
    type: int
    default: 16
author:
  - django_ecs.fargate contributors (@django-ecs)
"""

EXAMPLES = r"""
- name: Compute the image tag
  ansible.builtin.set_fact:
    image_tag: >-
      {{ lookup('django_ecs.fargate.context_hash', playbook_dir ~ '/django',
                build_args={'BASE_IMAGE': 'python:3.12-slim'}) }}

- name: A longer tag that also changes with the base image's id
  ansible.builtin.set_fact:
    image_tag: >-
      {{ lookup('django_ecs.fargate.context_hash', playbook_dir ~ '/django', extra=base_image_id, length=24) }}
"""

RETURN = r"""
_raw:
  description: One lowercase hex digest per term, O(length) characters long.
  type: list
  elements: str
"""

import hashlib
import json
import os
import re

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

ALWAYS = ("Dockerfile", ".dockerignore")


def _pattern_regex(pattern):
    """Regex for one .dockerignore pattern (Go filepath.Match plus `**`), matched against a relative path."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i)
            if j == -1:
                out.append(re.escape(c))
            else:
                cls = pattern[i + 1 : j]
                if cls.startswith("^") or cls.startswith("!"):
                    cls = "^" + cls[1:]
                out.append("[" + cls + "]")
                i = j
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def read_dockerignore(context):
    """[(regex, negated)] from the context's .dockerignore, in file order."""
    path = os.path.join(context, ".dockerignore")
    rules = []
    if not os.path.isfile(path):
        return rules
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:].strip()
            line = os.path.normpath(line.strip("/")).replace(os.sep, "/")
            if line in (".", ""):
                continue
            rules.append((_pattern_regex(line), negated))
    return rules


def is_ignored(relpath, rules):
    """Docker semantics: the last matching rule decides; a rule matching a parent directory matches too."""
    parts = relpath.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for regex, negated in rules:
        if any(regex.match(c) for c in candidates):
            ignored = not negated
    return ignored


def context_files(context):
    """Sorted relative paths of the files Docker would send (symlinks are hashed by their target text)."""
    rules = read_dockerignore(context)
    files = []
    for root, dirs, names in os.walk(context):
        dirs.sort()
        for name in names:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, context).replace(os.sep, "/")
            if rel in ALWAYS or not is_ignored(rel, rules):
                files.append(rel)
    return sorted(files)


def context_digest(context, build_args=None, extra=""):
    """Full sha256 hex digest of the context's files and the build arguments."""
    if not os.path.isdir(context):
        raise AnsibleLookupError(f"context_hash: build context {context!r} is not a directory")
    h = hashlib.sha256()
    for rel in context_files(context):
        full = os.path.join(context, rel)
        h.update(rel.encode("utf-8") + b"\0")
        if os.path.islink(full):
            h.update(b"L" + os.readlink(full).encode("utf-8") + b"\0")
            continue
        h.update(b"X" if os.access(full, os.X_OK) else b"F")
        fh = hashlib.sha256()
        with open(full, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                fh.update(chunk)
        h.update(fh.digest())
    h.update(b"\0args\0" + json.dumps(build_args or {}, sort_keys=True, default=str).encode("utf-8"))
    h.update(b"\0extra\0" + str(extra or "").encode("utf-8"))
    return h.hexdigest()


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        length = self.get_option("length")
        if not 8 <= length <= 64:
            raise AnsibleLookupError(f"context_hash: length is {length}: allowed 8-64")
        return [
            context_digest(os.path.expanduser(str(term)), self.get_option("build_args"), self.get_option("extra"))[
                :length
            ]
            for term in terms
        ]
