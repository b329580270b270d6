from django.dispatch import Signal

evaluation_committing = Signal()
evaluation_committing.__doc__ = """
Sent by the daily evaluation of the companies whose local day has come, inside the
transaction that writes the status changes, just before it commits. Keyword argument: `runs`,
the tracking.EvaluationRun of each company (company, day, counts) just recorded, with its
`company` set.

The handoff to nudges: the runs' transitions with `to_status="off_track"` are exactly the
engagements these runs turned Off Track, each a ProgressTransition dated on its off-track-since
day. Receivers read those rows (no second scan of engagements) and write what they need
(e.g. an outbox) in the same transaction, for all the runs at once (a fixed number of
statements, whatever the number of companies), so the runs and their consequences commit
together or not at all. A receiver that raises rolls the whole run back; the next hourly tick
retries it. Sent once per (company, day): a re-run for the same day finds its EvaluationRun
and sends nothing for it.
"""

progress_flipped = Signal()
progress_flipped.__doc__ = """
Sent by an at-once evaluation of one engagement (tracking.evaluation.evaluate_engagement,
outside the daily run) that turned it Off Track, inside the caller's transaction. Keyword
argument: `transition`, the tracking.ProgressTransition just written, with `awaits_outbox`
set: the flip itself is the outbox's input (notifications.outbox.hand_over_flips), so a
receiver need write nothing; it may, for example, wake the sender after commit.
"""
