"""Online services: the matter catalog, applications and their BPMN approval workflow."""
