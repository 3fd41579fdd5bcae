"""`lambdactl dev`: `serve` plus a watcher over the functions' files and a live view."""
