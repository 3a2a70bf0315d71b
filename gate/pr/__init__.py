"""The pull-request path: the lines a change touched, their verdict, the comment and its posting."""
