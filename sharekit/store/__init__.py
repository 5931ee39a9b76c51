"""The local store: SQLite, migrations, the home folder, config, workspace."""
