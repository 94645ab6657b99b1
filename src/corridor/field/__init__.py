"""The field app: the offline-first web app registrars, checkpoint monitors and
reception use on their phones, served at /field (docs/field.md)."""
