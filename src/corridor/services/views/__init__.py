"""What the pages that can be shown as of any moment show, each a pure function of the
operation's state (`services.timeline.read_at` hands it the state now or then):

    dashboard.py   the figures a coordinator reads first, what explains the total,
                   and the movements per day and checkpoint
"""
