"""context_hash: the content tag of a build context."""

import os

import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

from ansible_collections.django_ecs.fargate.plugins.lookup import context_hash as ch


@pytest.fixture
def ctx(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    (tmp_path / ".dockerignore").write_text(
        "# comment\n**/__pycache__\n*.pyc\nstaticfiles/\n.env\nnotes/*.md\n!notes/KEEP.md\n"
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("print(1)\n")
    (tmp_path / "app" / "__pycache__").mkdir()
    (tmp_path / "app" / "__pycache__" / "views.cpython-312.pyc").write_bytes(b"\0")
    (tmp_path / "staticfiles").mkdir()
    (tmp_path / "staticfiles" / "a.css").write_text("x")
    (tmp_path / ".env").write_text("SECRET=1")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.md").write_text("a")
    (tmp_path / "notes" / "KEEP.md").write_text("k")
    return tmp_path


def test_files_honour_dockerignore(ctx):
    assert ch.context_files(str(ctx)) == [".dockerignore", "Dockerfile", "app/views.py", "notes/KEEP.md"]


def test_digest_is_stable_and_sensitive(ctx):
    base = ch.context_digest(str(ctx), {"BASE_IMAGE": "py"})
    assert base == ch.context_digest(str(ctx), {"BASE_IMAGE": "py"})
    assert len(base) == 64
    # ignored files do not change the tag
    (ctx / "staticfiles" / "a.css").write_text("changed")
    (ctx / ".env").write_text("SECRET=2")
    assert ch.context_digest(str(ctx), {"BASE_IMAGE": "py"}) == base
    # a build argument does
    assert ch.context_digest(str(ctx), {"BASE_IMAGE": "other"}) != base
    assert ch.context_digest(str(ctx), {"BASE_IMAGE": "py"}, extra="sha256:1") != base
    # a source file, a new file, the Dockerfile and the executable bit do
    (ctx / "app" / "views.py").write_text("print(2)\n")
    changed = ch.context_digest(str(ctx), {"BASE_IMAGE": "py"})
    assert changed != base
    (ctx / "app" / "new.py").write_text("")
    assert ch.context_digest(str(ctx), {"BASE_IMAGE": "py"}) != changed
    before = ch.context_digest(str(ctx))
    os.chmod(ctx / "app" / "new.py", 0o700)
    assert ch.context_digest(str(ctx)) != before


def test_rename_changes_the_digest(ctx):
    before = ch.context_digest(str(ctx))
    (ctx / "app" / "views.py").rename(ctx / "app" / "view.py")
    assert ch.context_digest(str(ctx)) != before


def test_not_a_directory(tmp_path):
    with pytest.raises(AnsibleLookupError, match="not a directory"):
        ch.context_digest(str(tmp_path / "missing"))


def test_lookup_length(ctx):
    lookup = lookup_loader.get("django_ecs.fargate.context_hash")
    [tag] = lookup.run([str(ctx)], variables={}, build_args={"BASE_IMAGE": "py"}, length=12)
    assert tag == ch.context_digest(str(ctx), {"BASE_IMAGE": "py"})[:12]
    with pytest.raises(AnsibleLookupError, match="length"):
        lookup.run([str(ctx)], variables={}, length=4)
