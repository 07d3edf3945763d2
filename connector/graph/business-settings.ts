// Where in Meta's Business Settings an asset is given to a person or system user: one phrase for
// every hint and for README. Meta's help article "Assign business assets to people in your business
// portfolio" names the two ways "Assign assets" (from a person) and "Assign people" (from an asset);
// our hints start from the asset the run could not read, so they name "Assign people".
export const ASSIGN_PEOPLE = 'Assign people';

/** The asset lists under Business Settings → Accounts that a hint sends the user to. */
export type BusinessAssetList = 'Ad accounts' | 'Pages';

/** "Business Settings → Accounts → Ad accounts → Assign people": select the asset there, then the button. */
export const assignPeoplePath = (assets: BusinessAssetList): string => `Business Settings → Accounts → ${assets} → ${ASSIGN_PEOPLE}`;
