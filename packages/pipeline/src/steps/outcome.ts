/** What a step returns to the stage runner: its value, a one-line detail for the table, and a size in bytes. */
export interface StepOutcome<T> {
  value: T;
  detail: string;
  bytes?: number;
}
