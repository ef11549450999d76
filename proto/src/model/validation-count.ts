// How many resources this process has validated, for the update-cost benchmark: a spec check is one
// resource's own fields (validateSpec), a reference check one resource's pointers against a whole set
// (checkReferences, or a snapshot's consistency check). Plain counters: a few nanoseconds per check.
export interface ValidationCount {
  specs: number;
  references: number;
}

export const validationCount: ValidationCount = { specs: 0, references: 0 };
