"""The Textual supervisor: watch the loop, review proposals, browse and revert checkpoints.

`core.tui.app.RatchetApp` is the entry point (`ratchet` with no arguments opens it). Importing
this package does not import Textual; `core.commands.tui_cmds` imports the app lazily.
"""
