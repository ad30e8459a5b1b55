// How the stores keep a list of names (capabilities, privileges, allowed IPs) in one text column.

/** A list as it is stored: names joined by commas (no name holds a comma). */
export const joinList = (names: readonly string[]): string => names.join(',');

/** A stored list read back. */
export const splitList = (text: string | null | undefined): string[] => (text ? text.split(',').filter((name) => name !== '') : []);
