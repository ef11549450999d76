// Which turn of the event loop this is. The count moves on in the check phase (setImmediate), after
// the turn's I/O callbacks have all run, so two writes in one turn see the same number however many
// sockets' callbacks lie between them. One immediate is scheduled per turn, and only in a turn that
// asks.
let turn = 0;
let ending = false;

function endTurn(): void {
  turn++;
  ending = false;
}

export function currentLoopTurn(): number {
  if (!ending) {
    ending = true;
    setImmediate(endTurn);
  }
  return turn;
}
