"""The scheduler: Prefect flows and deployments that fire BPMN timers on time, start the periodic processes and
deliver notifications; and the processes ``groupgov serve`` runs for them (embedded or scaled mode).

Modules: ``flows`` (the flows), ``deployments`` (their deployments), ``dispatch`` (armed timers → wake-up runs),
``service`` (the scheduler process), ``server`` (the embedded Prefect server and supervision), ``cli``
(``groupgov scheduler``), ``bench`` (``timer_lateness_p99``). Nothing here imports Prefect at import time
except ``flows``.
"""
