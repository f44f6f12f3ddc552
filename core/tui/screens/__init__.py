"""The TUI's screens: dashboard, review modal, history, inbox, goal, confirmations, text views."""
