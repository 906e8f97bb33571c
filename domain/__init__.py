"""The rules of ReturnDesk: pure values and functions, standard library only."""
