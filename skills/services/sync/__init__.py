"""Registry sync from a folder of Agent Skills (`ROOT/<folder>/SKILL.md`): each file read and
validated (`skill_file.py`), then the registry written from them (`folder.py`). Import from
those modules: this package re-exports nothing."""
