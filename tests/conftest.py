"""Test-wide set-up: import the collection by FQCN from the checkout, and load the service fixtures."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# `ansible_collections.django_ecs.fargate...` resolves through the committed collections/ symlink,
# and amazon.aws & co. through the installed ansible bundle, without installing this checkout.
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder  # noqa: E402

_AnsibleCollectionFinder(paths=[str(ROOT / "collections")])._install()

pytest_plugins = ["service_fixtures"]
