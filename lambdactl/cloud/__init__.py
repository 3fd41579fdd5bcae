"""Deploying a project to AWS Lambda: packaging (`package`), the plan of what to create or
change (`plan`, pure), its execution with boto3 (`apply`) and what was deployed (`state`)."""
