"""The BPMN boundary: the only code in emflow that imports SpiffWorkflow.

Everything the engine needs from SpiffWorkflow 3.2 passes through here: parsing diagrams (``parser``), running
diagram code in the sandbox (``script_engine``), driving a workflow (``workflow``), reading what a command did to it
(``effects``), storing its live state (``snapshot``, ``prune``) and the corrections to SpiffWorkflow's own behaviour
(``patches``, applied once by ``install()``). See docs/ARCHITECTURE.md, "The BPMN boundary".
"""

from engine.bpmn.patches import install

__all__ = ["install"]
