"""Before/after tests for every edit op x kind: only the edited statement's text changes."""

from __future__ import annotations

import textwrap

import pytest

from core.edits import EditApplied, apply_edit
from core.records import Edit, EditKind, EditOp

PATH = "mutable/lang.py"


def edit(op: EditOp, kind: EditKind, target: str, code: str = "") -> Edit:
    return Edit(op=op, kind=kind, path=PATH, target=target, code=textwrap.dedent(code))


def applied(source: str, e: Edit) -> str:
    result = apply_edit(source, e)
    assert isinstance(result, EditApplied), getattr(result, "reason", result)
    assert result.edit == e
    return result.new_source


def swapped(source: str, old: str, new: str) -> str:
    """`source` with the one occurrence of `old` replaced; asserts the rest is a byte-exact frame."""
    assert source.count(old) == 1, f"{old!r} must occur exactly once"
    return source.replace(old, new)


def assert_frame(before: str, after: str, old: str, new: str) -> None:
    """Everything before and after the edited region is byte-identical."""
    start = before.index(old)
    assert after[:start] == before[:start]
    assert after[start : start + len(new)] == new
    assert after[start + len(new) :] == before[start + len(old) :]


OLD_DETECT = '''\
def detect_language(path: str) -> str:
    """Guess the language of `path`.

    Looks at the suffix only.
    """
    if re.search(r"\\.py$", path):  # the common case
        return "python"
    return "unknown"
'''

OLD_LOOKUP = """\
    def lookup(self, name: str) -> str | None:
        # a linear scan is fine for 24 entries
        return next((n for n in self.names if n == name), None)
"""


ENTRY = '''\
    class Entry:
        """One language."""

        def label(self) -> str:
            return "entry"
'''


# --- replace ------------------------------------------------------------------------------------


def test_replace_function_keeps_leading_comments_and_everything_else(sample: str) -> None:
    new = '''\
def detect_language(path: str) -> str:
    """Guess the language of `path` from its suffix."""
    suffixes = {".py": "python", ".rs": "rust"}  # the two we know
    return next((lang for suffix, lang in suffixes.items() if path.endswith(suffix)), "unknown")
'''
    after = applied(sample, edit(EditOp.REPLACE, EditKind.FUNCTION, "detect_language", new))
    assert after == swapped(sample, OLD_DETECT, new)
    assert_frame(sample, after, OLD_DETECT, new)
    assert "# --- detection ---" in after.split("def detect_language")[0]


def test_replace_async_function_with_decorated_sync_function(sample: str) -> None:
    old = sample[sample.index("async def fetch") :]
    new = "@tools.cached\ndef fetch(url: str) -> bytes:\n    return url.encode()\n"
    after = applied(sample, edit(EditOp.REPLACE, EditKind.FUNCTION, "fetch", new))
    assert after == swapped(sample, old, new)


def test_replace_function_with_async_function(sample: str) -> None:
    new = "async def detect_language(path: str) -> str:\n    return await tools.guess(path)\n"
    after = applied(sample, edit(EditOp.REPLACE, EditKind.FUNCTION, "detect_language", new))
    assert after == swapped(sample, OLD_DETECT, new)


def test_replace_method_reindents_code_written_at_top_level(sample: str) -> None:
    code = """\
    def lookup(self, name: str) -> str | None:
        \"\"\"The entry called `name`.

        None when unknown.
        \"\"\"
        wanted = self.normalise(name)
        for known in self.names:
            if known == wanted:
                return known
        return None
    """
    new = '''\
    def lookup(self, name: str) -> str | None:
        """The entry called `name`.

        None when unknown.
        """
        wanted = self.normalise(name)
        for known in self.names:
            if known == wanted:
                return known
        return None
'''
    after = applied(sample, edit(EditOp.REPLACE, EditKind.METHOD, "Registry.lookup", code))
    assert after == swapped(sample, OLD_LOOKUP, new)
    assert_frame(sample, after, OLD_LOOKUP, new)


def test_replace_method_accepts_code_copied_with_class_indentation(sample: str) -> None:
    code = (
        "    def lookup(self, name: str) -> str | None:\n"
        "        return name if name in self.names else None\n"
    )
    after = applied(sample, edit(EditOp.REPLACE, EditKind.METHOD, "Registry.lookup", code))
    assert after == swapped(sample, OLD_LOOKUP, code)


def test_indented_method_code_with_column_zero_lines_is_understood() -> None:
    source = "class A:\n    def f(self) -> str:\n        return ''\n"
    code = '# why\n    def f(self) -> str:\n        return """a\nb"""\n'
    after = applied(source, edit(EditOp.REPLACE, EditKind.METHOD, "A.f", code))
    assert after == 'class A:\n    def f(self) -> str:\n        return """a\nb"""\n'


def test_replace_decorated_method_uses_the_decorators_in_the_code(sample: str) -> None:
    old = "    @staticmethod\n    def normalise(name: str) -> str:\n        return name.strip().lower()\n"
    code = "@classmethod\ndef normalise(cls, name: str) -> str:\n    return name.casefold()\n"
    new = "    @classmethod\n    def normalise(cls, name: str) -> str:\n        return name.casefold()\n"
    after = applied(sample, edit(EditOp.REPLACE, EditKind.METHOD, "Registry.normalise", code))
    assert after == swapped(sample, old, new)


def test_replace_method_of_nested_class(sample: str) -> None:
    old = '        def label(self) -> str:\n            return "entry"\n'
    code = 'def label(self) -> str:\n    """A label."""\n    return f"entry {id(self)}"\n'
    new = (
        "        def label(self) -> str:\n"
        '            """A label."""\n'
        '            return f"entry {id(self)}"\n'
    )
    after = applied(sample, edit(EditOp.REPLACE, EditKind.METHOD, "Registry.Entry.label", code))
    assert after == swapped(sample, old, new)


def test_replace_class_keeps_its_leading_lines(sample: str) -> None:
    old = sample[sample.index("@dataclass(frozen=True)") : sample.index("\n\n\nasync def fetch") + 1]
    new = '@dataclass\nclass Registry:\n    """Known languages, mutable."""\n\n    names: list[str]\n'
    after = applied(sample, edit(EditOp.REPLACE, EditKind.CLASS, "Registry", new))
    assert after == swapped(sample, old, new)


def test_replace_nested_class(sample: str) -> None:
    old = ENTRY
    code = 'class Entry:\n    """One language, by name."""\n\n    name: str = ""\n'
    new = '    class Entry:\n        """One language, by name."""\n\n        name: str = ""\n'
    after = applied(sample, edit(EditOp.REPLACE, EditKind.CLASS, "Registry.Entry", code))
    assert after == swapped(sample, old, new)


def test_replace_annotated_assignment(sample: str) -> None:
    after = applied(sample, edit(EditOp.REPLACE, EditKind.ASSIGNMENT, "LIMIT", "LIMIT: int = 32\n"))
    assert after == swapped(sample, "LIMIT: int = 24\n", "LIMIT: int = 32\n")
    assert "#: how many languages we know\nLIMIT: int = 32\n" in after


def test_replace_plain_assignment_takes_the_codes_trailing_comment(sample: str) -> None:
    code = 'NAMES = ("go", "python", "rust")  # still sorted\n'
    after = applied(sample, edit(EditOp.REPLACE, EditKind.ASSIGNMENT, "NAMES", code))
    assert after == swapped(sample, 'NAMES = ("python", "rust")  # keep sorted\n', code)


def test_replace_class_attribute(sample: str) -> None:
    old = "    names: tuple[str, ...] = field(default_factory=tuple)\n"
    code = 'names: tuple[str, ...] = ("python",)\n'
    after = applied(sample, edit(EditOp.REPLACE, EditKind.ASSIGNMENT, "Registry.names", code))
    assert after == swapped(sample, old, "    " + code)


def test_replace_import_with_one_name(sample: str) -> None:
    code = "from mutable import tools as tools\n"
    after = applied(sample, edit(EditOp.REPLACE, EditKind.IMPORT, "tools", code))
    assert after == swapped(sample, "from mutable import tools\n", code)


def test_replace_one_name_of_a_from_import_moves_it_to_its_section(sample: str) -> None:
    code = "from pydantic.dataclasses import dataclass\n"
    after = applied(sample, edit(EditOp.REPLACE, EditKind.IMPORT, "dataclass", code))
    old = "from dataclasses import dataclass, field\n\nfrom mutable import tools\n"
    new = (
        "from dataclasses import field\n\n"
        "from pydantic.dataclasses import dataclass\n\n"
        "from mutable import tools\n"
    )
    assert after == swapped(sample, old, new)


# --- add ----------------------------------------------------------------------------------------


def test_add_function_appends_at_module_end(sample: str) -> None:
    code = "# the second guess\ndef guess(text: str) -> str:\n    return detect_language(text)\n"
    after = applied(sample, edit(EditOp.ADD, EditKind.FUNCTION, "guess", code))
    assert after == sample + "\n\n" + code


def test_add_async_function(sample: str) -> None:
    code = "async def ping() -> None:\n    await tools.sleep(0)\n"
    after = applied(sample, edit(EditOp.ADD, EditKind.FUNCTION, "ping", code))
    assert after == sample + "\n\n" + code


def test_add_function_goes_before_a_main_guard() -> None:
    source = 'def main() -> None:\n    pass\n\n\nif __name__ == "__main__":\n    main()\n'
    after = applied(
        source, edit(EditOp.ADD, EditKind.FUNCTION, "helper", "def helper() -> int:\n    return 1\n")
    )
    expected = (
        "def main() -> None:\n    pass\n\n\ndef helper() -> int:\n    return 1\n\n\n"
        'if __name__ == "__main__":\n    main()\n'
    )
    assert after == expected


def test_add_method_goes_after_the_last_method(sample: str) -> None:
    code = '''\
def describe(self) -> str:
    """Every name, one per line.

    Sorted.
    """
    return "\\n".join(sorted(self.names))
'''
    new = '''\

    def describe(self) -> str:
        """Every name, one per line.

        Sorted.
        """
        return "\\n".join(sorted(self.names))
'''
    anchor = "        return name.strip().lower()\n"
    after = applied(sample, edit(EditOp.ADD, EditKind.METHOD, "Registry.describe", code))
    assert after == swapped(sample, anchor, anchor + new)


def test_add_method_to_nested_class(sample: str) -> None:
    anchor = '            return "entry"\n'
    code = "def size(self) -> int:\n    return 1\n"
    after = applied(sample, edit(EditOp.ADD, EditKind.METHOD, "Registry.Entry.size", code))
    new = "\n        def size(self) -> int:\n            return 1\n"
    assert after == swapped(sample, anchor, anchor + new)


def test_add_method_replaces_a_placeholder_body() -> None:
    source = "class Empty:\n    pass\n\n\nX = 1\n"
    code = "def go(self) -> None:\n    return None\n"
    after = applied(source, edit(EditOp.ADD, EditKind.METHOD, "Empty.go", code))
    assert after == "class Empty:\n    def go(self) -> None:\n        return None\n\n\nX = 1\n"


def test_add_method_to_one_line_class() -> None:
    after = applied(
        "class A: ...\n", edit(EditOp.ADD, EditKind.METHOD, "A.f", "def f(self) -> int:\n    return 1\n")
    )
    assert after == "class A:\n    def f(self) -> int:\n        return 1\n"


def test_add_class_and_nested_class(sample: str) -> None:
    code = '@dataclass\nclass Alias:\n    """Another name."""\n\n    name: str\n'
    after = applied(sample, edit(EditOp.ADD, EditKind.CLASS, "Alias", code))
    assert after == sample + "\n\n" + code
    nested = applied(sample, edit(EditOp.ADD, EditKind.CLASS, "Registry.Extra", "class Extra:\n    pass\n"))
    anchor = '            return "entry"\n'
    assert nested == swapped(sample, anchor, anchor + "\n    class Extra:\n        pass\n")


def test_add_assignment_after_the_leading_constants(sample: str) -> None:
    after = applied(sample, edit(EditOp.ADD, EditKind.ASSIGNMENT, "TIMEOUT", "TIMEOUT: float = 2.5\n"))
    anchor = 'NAMES = ("python", "rust")  # keep sorted\n'
    assert after == swapped(sample, anchor, anchor + "TIMEOUT: float = 2.5\n")


def test_add_assignment_to_a_module_without_header() -> None:
    source = "def f() -> int:\n    return 1\n"
    after = applied(source, edit(EditOp.ADD, EditKind.ASSIGNMENT, "X", "X = 1\n"))
    assert after == "X = 1\n\n\ndef f() -> int:\n    return 1\n"


@pytest.mark.parametrize(
    ("code", "old", "new"),
    [
        ("import os\n", "import logging\nimport re\n", "import logging\nimport os\nimport re\n"),
        ("import abc\n", "import logging\n", "import abc\nimport logging\n"),
        ("import sys\n", "import re\n", "import re\nimport sys\n"),
        (
            "from typing import Any\n",
            "from dataclasses import dataclass, field\n",
            "from dataclasses import dataclass, field\nfrom typing import Any\n",
        ),
        (
            "from dataclasses import replace\n",
            "from dataclasses import dataclass, field\n",
            "from dataclasses import dataclass, field, replace\n",
        ),
        (
            "from dataclasses import asdict\n",
            "from dataclasses import dataclass, field\n",
            "from dataclasses import asdict, dataclass, field\n",
        ),
        (
            "from dataclasses import MISSING\n",
            "from dataclasses import dataclass, field\n",
            "from dataclasses import MISSING, dataclass, field\n",
        ),
        (
            "import yaml\n",
            "from dataclasses import dataclass, field\n\n",
            "from dataclasses import dataclass, field\n\nimport yaml\n\n",
        ),
        ("from mutable import lang\n", "from mutable import tools\n", "from mutable import lang, tools\n"),
        (
            "from mutable.extract import parse\n",
            "from mutable import tools\n",
            "from mutable import tools\nfrom mutable.extract import parse\n",
        ),
        (
            "from . import helpers\n",
            "from mutable import tools\n",
            "from mutable import tools\n\nfrom . import helpers\n",
        ),
        (
            "from __future__ import division\n",
            "from __future__ import annotations\n",
            "from __future__ import annotations, division\n",
        ),
    ],
)
def test_add_import_where_isort_puts_it(sample: str, code: str, old: str, new: str) -> None:
    target = code.split()[-1]
    after = applied(sample, edit(EditOp.ADD, EditKind.IMPORT, target, code))
    assert after == swapped(sample, old, new)


def test_add_import_with_alias_and_dotted_name(sample: str) -> None:
    after = applied(sample, edit(EditOp.ADD, EditKind.IMPORT, "os.path", "import os.path\n"))
    assert after == swapped(sample, "import logging\n", "import logging\nimport os.path\n")
    aliased = applied(sample, edit(EditOp.ADD, EditKind.IMPORT, "np", "import numpy as np\n"))
    old = "from dataclasses import dataclass, field\n\n"
    assert aliased == swapped(sample, old, old + "import numpy as np\n\n")


def test_add_existing_import_is_a_no_op(sample: str) -> None:
    for target, code in [
        ("re", "import re"),
        ("field", "from dataclasses import field"),
        ("tools", "from mutable import tools"),
    ]:
        assert applied(sample, edit(EditOp.ADD, EditKind.IMPORT, target, code)) == sample


def test_add_import_to_a_module_without_imports() -> None:
    source = '"""Doc."""\n\nX = 1\n'
    after = applied(source, edit(EditOp.ADD, EditKind.IMPORT, "re", "import re\n"))
    assert after == '"""Doc."""\n\nimport re\n\nX = 1\n'
    bare = applied("def f() -> None:\n    pass\n", edit(EditOp.ADD, EditKind.IMPORT, "re", "import re\n"))
    assert bare == "import re\n\n\ndef f() -> None:\n    pass\n"


def test_add_to_an_empty_module() -> None:
    code = "def f() -> int:\n    return 1\n"
    assert applied("", edit(EditOp.ADD, EditKind.FUNCTION, "f", code)) == code
    assert applied("", edit(EditOp.ADD, EditKind.IMPORT, "re", "import re")) == "import re\n"


# --- remove -------------------------------------------------------------------------------------


def test_remove_function_drops_it_with_its_comments(sample: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.FUNCTION, "detect_language"))
    old = sample[sample.index("\n\n# --- detection") : sample.index("\n\n@dataclass")]
    assert after == swapped(sample, old, "")


def test_remove_async_function_at_the_end(sample: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.FUNCTION, "fetch"))
    assert after == sample[: sample.index("\n\n\nasync def fetch") + 1]


def test_remove_method(sample: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.METHOD, "Registry.lookup"))
    assert after == swapped(sample, "\n" + OLD_LOOKUP, "")


def test_remove_first_statement_of_a_class_closes_the_gap() -> None:
    source = "class A:\n    def a(self) -> None:\n        pass\n\n    def b(self) -> None:\n        pass\n"
    after = applied(source, edit(EditOp.REMOVE, EditKind.METHOD, "A.a"))
    assert after == "class A:\n    def b(self) -> None:\n        pass\n"


def test_remove_last_method_leaves_pass(sample: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.METHOD, "Registry.Entry.label"))
    old = '\n        def label(self) -> str:\n            return "entry"\n'
    assert after == swapped(sample, old, "")
    bare = applied(
        "class A:\n    def f(self) -> None:\n        pass\n", edit(EditOp.REMOVE, EditKind.METHOD, "A.f")
    )
    assert bare == "class A:\n    pass\n"


def test_remove_class_and_nested_class(sample: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.CLASS, "Registry.Entry"))
    old = "\n" + ENTRY
    assert after == swapped(sample, old, "")
    whole = applied(sample, edit(EditOp.REMOVE, EditKind.CLASS, "Registry"))
    assert whole == swapped(
        sample, sample[sample.index("\n\n@dataclass") : sample.index("\n\nasync def")], ""
    )


def test_remove_assignment(sample: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.ASSIGNMENT, "LIMIT"))
    assert after == swapped(sample, "#: how many languages we know\nLIMIT: int = 24\n", "")


@pytest.mark.parametrize(
    ("target", "old", "new"),
    [
        ("tools", "\nfrom mutable import tools\n", ""),
        ("re", "import re\n", ""),
        ("field", "from dataclasses import dataclass, field\n", "from dataclasses import dataclass\n"),
        ("dataclass", "from dataclasses import dataclass, field\n", "from dataclasses import field\n"),
    ],
)
def test_remove_import(sample: str, target: str, old: str, new: str) -> None:
    after = applied(sample, edit(EditOp.REMOVE, EditKind.IMPORT, target))
    assert after == swapped(sample, old, new)


def test_remove_name_from_parenthesized_import_keeps_layout() -> None:
    source = "from os import (\n    getcwd,\n    path,\n    sep,\n)\n"
    assert (
        applied(source, edit(EditOp.REMOVE, EditKind.IMPORT, "sep"))
        == "from os import (\n    getcwd,\n    path,\n)\n"
    )
    assert (
        applied(source, edit(EditOp.REMOVE, EditKind.IMPORT, "path"))
        == "from os import (\n    getcwd,\n    sep,\n)\n"
    )


def test_remove_aliased_import_by_bound_name() -> None:
    source = "import numpy as np\nimport os.path\n\nX = 1\n"
    assert applied(source, edit(EditOp.REMOVE, EditKind.IMPORT, "np")) == "import os.path\n\nX = 1\n"
    assert applied(source, edit(EditOp.REMOVE, EditKind.IMPORT, "os.path")) == "import numpy as np\n\nX = 1\n"


# --- formatting details ---------------------------------------------------------------------------


def test_crlf_module_keeps_its_newlines() -> None:
    source = "def a() -> int:\r\n    return 1\r\n\r\n\r\ndef b() -> int:\r\n    return 2\r\n"
    after = applied(source, edit(EditOp.REPLACE, EditKind.FUNCTION, "b", "def b() -> int:\n    return 3\n"))
    assert after == "def a() -> int:\r\n    return 1\r\n\r\n\r\ndef b() -> int:\r\n    return 3\r\n"


def test_two_space_module_reindents_new_code_to_its_own_style() -> None:
    source = "class A:\n  def f(self) -> int:\n    return 1\n"
    code = "def f(self) -> int:\n    if self:\n        return 2\n    return 3\n"
    after = applied(source, edit(EditOp.REPLACE, EditKind.METHOD, "A.f", code))
    assert after == "class A:\n  def f(self) -> int:\n    if self:\n      return 2\n    return 3\n"


def test_non_docstring_multiline_strings_are_left_alone() -> None:
    source = "class A:\n    pass\n"
    code = 'def f(self) -> str:\n    return """a\n  b\nc"""\n'
    after = applied(source, edit(EditOp.ADD, EditKind.METHOD, "A.f", code))
    assert after == 'class A:\n    def f(self) -> str:\n        return """a\n  b\nc"""\n'
