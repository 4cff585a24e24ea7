"""The parts a sweep file is written in, read and checked one by one: safe YAML, the search space
(``space``) and its conditions, objectives and constraints, tracker options, and pydantic's errors
as one line naming the key. Below everything that runs a sweep: the searchers, schedulers and the
user's model read these terms; ``sweeps.definition`` assembles them into one sweep."""
