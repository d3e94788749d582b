/** How SQL rules say what they found: a construct (the rule id's suffix), its strength and its text span. */
export type Report = (construct: string, strength: number, start: number, end: number) => void;
