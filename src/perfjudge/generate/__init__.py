"""From a model to samples: model backends behind one protocol (`backends`) and the code
extraction that turns a reply into a runnable program (`extract`)."""
