from django.apps import AppConfig


class SimulationConfig(AppConfig):
    name = "lms.simulation"
    label = "simulation"
