/**
 * Every phrase list the signals read, each under its own name, for the property tests that must
 * cover them all (the quick scans, the words a list needs). A list added to the signals is added
 * here once, and every such test then reads it.
 */
import { capacityPatterns } from '../../src/signals/capacity.js';
import { CONDUCT_PHRASES } from '../../src/signals/conduct.js';
import type { PhrasePattern } from '../../src/signals/match.js';
import { partyStatementPatterns } from '../../src/signals/media.js';
import { informationalPatterns, obligationPatterns, onBehalfPatterns } from '../../src/signals/obligations.js';
import {
  AMBIGUOUS_CAMPAIGN,
  CAMPAIGN_ACTIVITIES,
  CIVIC_CAMPAIGNS,
  ELECTION_CONTEXT,
  PARTY_BUSINESS,
  PARTY_TOPICS,
  ELECTIONEERING,
  partyBusinessPatterns,
  partyContextPatterns,
  partyNames,
} from '../../src/signals/political.js';
import { DEADLINE_PATTERNS, FACTUAL_PATTERNS, REQUEST_PATTERNS } from '../../src/signals/requests.js';

/** The parties the council-built lists are made from (the common ones and the directory's). */
export const LIST_PARTIES = partyNames(['Labour', 'Conservative', 'Liberal Democrat', 'Green', 'Independent']);

const COUNCIL = 'Millbrook Town Council';

export const PHRASE_LISTS = {
  PARTY_TOPICS,
  PARTY_BUSINESS,
  CAMPAIGN_ACTIVITIES,
  ELECTION_CONTEXT,
  AMBIGUOUS_CAMPAIGN,
  CIVIC_CAMPAIGNS,
  ELECTIONEERING,
  'party context': partyContextPatterns(LIST_PARTIES),
  'party business': partyBusinessPatterns(LIST_PARTIES),
  'party statements': partyStatementPatterns(LIST_PARTIES),
  CONDUCT_PHRASES,
  REQUEST_PATTERNS,
  FACTUAL_PATTERNS,
  DEADLINE_PATTERNS,
  capacity: capacityPatterns(['Castle', 'Riverside']),
  'on behalf': onBehalfPatterns(COUNCIL),
  obligations: obligationPatterns(COUNCIL),
  informational: informationalPatterns(COUNCIL),
} satisfies Record<string, readonly PhrasePattern[]>;
