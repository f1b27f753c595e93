"""Hand-worked patients: what is entered, and the derived variables worked out by hand from CRF.md.

Patient A (HCB): high-dose IV anakinra, CRS and ICANS, died of infection on day 40 (TRM).
  daily day 1: fever 39.0, hypotension on 1 vasopressor -> CRS 3; ICE 10 -> ICANS 0
  daily day 3: fever by anticytokine, high-flow O2 -> CRS 3; ICE not done (unarousable) -> ICANS 4
  daily day 5: 2 vasopressors -> CRS 4, but this instance is deleted, so the peak stays 3
  anakinra: days 2-4, 100 mg q6h IV bolus = 400 mg/d = 5.00 mg/kg/d (80 kg); days 5-9, 100 mg q24h SC,
            stopped for an adverse effect = 100 mg/d = 1.25 mg/kg/d
  steroids: dexamethasone 10 mg x2 days 2-4 = 20 mg/d, 60 mg; methylprednisolone 1000 mg x1 days 4-6
            = 187.5 mg/d dex-eq, 562.5 mg; days covered 2..6 = 5
Patient B (FHCC): low-dose SC anakinra (200 mg/d first), CRS only, relapsed, alive; forms marked complete.
Patient C (HCB): demographics only (weight 35 kg: below the expected range, so a query is opened).
"""

from __future__ import annotations

from typing import Any

PATIENT_A: dict[str, Any] = {
    "eligibility": {
        "infusion_year": "2022",
        "anakinra_indication": "3",
        "refractory_to": "1,2",
        "ethics_approval": "1",
    },
    "demographics": {
        "age_at_infusion": "93",
        "sex": "2",
        "weight_kg": "80.0",
        "height_cm": "UNK",
        "ecog": "1",
    },
    "disease": {"disease": "1", "prior_lines": "2"},
    "cart_infusion": {"product": "1", "prophylaxis": "1"},
    "daily_assessment": [
        {
            "assess_day": "1",
            "tmax_c": "39.0",
            "fever_other_cause": "0",
            "anticytokine_given": "0",
            "hypotension": "1",
            "vasopressors_n": "1",
            "vasopressin": "0",
            "o2_device": "0",
            "cardioresp_other_cause": "0",
            "ice_not_done": "0",
            "ice_orientation": "4",
            "ice_naming": "3",
            "ice_commands": "1",
            "ice_writing": "1",
            "ice_attention": "1",
            "consciousness": "0",
            "consciousness_sedation": "0",
            "seizure": "0",
            "motor_weakness": "0",
            "cerebral_edema": "0",
            "grading_scale": "1",
            "crs_grade_reported": "2",  # computed: 3, so a check fails (a warning)
        },
        {
            "assess_day": "3",
            "tmax_c": "37.0",
            "fever_other_cause": "0",
            "anticytokine_given": "1",
            "hypotension": "0",
            "o2_device": "3",
            "o2_flow_lmin": "30",
            "cardioresp_other_cause": "0",
            "ice_not_done": "1",
            "consciousness": "2",
            "consciousness_sedation": "0",
            "seizure": "0",
            "motor_weakness": "0",
            "cerebral_edema": "0",
        },
        {
            "assess_day": "5",
            "tmax_c": "40.0",
            "fever_other_cause": "0",
            "anticytokine_given": "0",
            "hypotension": "1",
            "vasopressors_n": "2",
            "vasopressin": "0",
            "o2_device": "0",
            "cardioresp_other_cause": "0",
            "ice_not_done": "1",
        },
    ],
    "toxicity_course": {
        "crs_occurred": "1",
        "crs_onset_day": "1",
        "crs_max_grade": "3",
        "crs_resolution_day": "6",
        "icans_occurred": "1",
        "icans_onset_day": "2",
        "icans_max_grade": "4",
        "icans_resolution_day": "10",
    },
    "tocilizumab": [
        {"toci_day": "1", "toci_dose_no": "1", "toci_dose_mg": "640"},
        {"toci_day": "2", "toci_dose_no": "2", "toci_dose_mg": "640"},
    ],
    "corticosteroids": [
        {
            "steroid_drug": "1",
            "steroid_dose_mg": "10",
            "steroid_freq_per_day": "2",
            "steroid_start_day": "2",
            "steroid_stop_day": "4",
        },
        {
            "steroid_drug": "2",
            "steroid_dose_mg": "1000",
            "steroid_freq_per_day": "1",
            "steroid_start_day": "4",
            "steroid_stop_day": "6",
        },
    ],
    "anakinra": [
        {
            "anakinra_start_day": "2",
            "anakinra_stop_day": "4",
            "anakinra_dose_mg": "100",
            "anakinra_freq": "4",
            "anakinra_route": "2",
            "anakinra_indication": "1",
        },
        {
            "anakinra_start_day": "5",
            "anakinra_stop_day": "9",
            "anakinra_dose_mg": "100",
            "anakinra_freq": "1",
            "anakinra_route": "1",
            "anakinra_indication": "1",
            "anakinra_stop_reason": "2",
            "anakinra_ae": "1",
        },
    ],
    "infections": [
        {
            "infection_day": "10",
            "infection_category": "1",
            "infection_organism": 'E. coli, "ESBL"',
            "infection_site": "1",
            "infection_grade": "3",
        },
    ],
    "followup": {
        "best_response": "2",
        "best_response_day": "30",
        "relapse": "0",
        "last_followup_day": "40",
        "vital_status": "2",
        "death_day": "40",
        "death_cause": "4",
    },
}
DELETED = ("daily_assessment", 3)  # patient A's day 5 is deleted after entry

PATIENT_B: dict[str, Any] = {
    "eligibility": {
        "infusion_year": "2021",
        "anakinra_indication": "2",
        "refractory_to": "2",
        "ethics_approval": "1",
    },
    "demographics": {"age_at_infusion": "45", "sex": "1", "weight_kg": "50.0", "ecog": "0"},
    "disease": {"disease": "6"},
    "cart_infusion": {"product": "5", "prophylaxis": "0"},
    "toxicity_course": {
        "crs_occurred": "1",
        "crs_onset_day": "3",
        "crs_resolution_day": "7",
        "icans_occurred": "0",
    },
    "anakinra": [
        {
            "anakinra_start_day": "4",
            "anakinra_stop_day": "6",
            "anakinra_dose_mg": "100",
            "anakinra_freq": "2",
            "anakinra_route": "1",
            "anakinra_indication": "2",
        },
        {
            "anakinra_start_day": "7",
            "anakinra_dose_mg": "100",
            "anakinra_freq": "1",
            "anakinra_route": "1",
            "anakinra_indication": "2",
        },
    ],
    "infections": [
        {
            "infection_day": "40",
            "infection_category": "2",
            "infection_organism": "CMV",
            "infection_grade": "2",
        },
    ],
    "followup": {
        "best_response": "4",
        "relapse": "1",
        "relapse_day": "100",
        "last_followup_day": "200",
        "vital_status": "1",
    },
}

PATIENT_C: dict[str, Any] = {
    "demographics": {"age_at_infusion": "60", "sex": "1", "weight_kg": "35.0"},
}

# Worked out by hand from the definitions in CRF.md; None is a blank.
EXPECTED_A = {
    "anakinra_first_day": 2,
    "anakinra_initial_mgkg_day": 5,
    "anakinra_max_mgkg_day": 5,
    "anakinra_cum_mg": 1700,
    "anakinra_days": 8,
    "dose_group": 1,
    "anakinra_ae_stop": 1,
    "peak_crs_grade": 3,
    "peak_icans_grade": 4,
    "peak_icans_post_anakinra": 4,
    "crs_days_to_resolution": 5,
    "icans_days_to_resolution": 8,
    "icans_days_anakinra_to_res": 8,
    "steroid_cum_dexeq_mg": 622.5,
    "steroid_days": 5,
    "toci_doses": 2,
    "orr": 1,
    "trm": 1,
    "trm_d28": 0,
    "trm_d60": 1,
    "trm_d28_from_anakinra": 0,
    "infection_d30": 1,
    "infection_g3_d30": 1,
}
EXPECTED_B = {
    "anakinra_first_day": 4,
    "anakinra_initial_mgkg_day": 4,
    "anakinra_max_mgkg_day": 4,
    "anakinra_cum_mg": None,
    "anakinra_days": None,
    "dose_group": 2,
    "anakinra_ae_stop": 0,
    "peak_crs_grade": 0,
    "peak_icans_grade": None,
    "peak_icans_post_anakinra": None,
    "crs_days_to_resolution": 4,
    "icans_days_to_resolution": None,
    "icans_days_anakinra_to_res": None,
    "steroid_cum_dexeq_mg": 0,
    "steroid_days": 0,
    "toci_doses": 0,
    "orr": 0,
    "trm": 0,
    "trm_d28": 0,
    "trm_d60": 0,
    "trm_d28_from_anakinra": 0,
    "infection_d30": 0,
    "infection_g3_d30": 0,
}
EXPECTED_C = {
    "anakinra_first_day": None,
    "anakinra_initial_mgkg_day": None,
    "anakinra_max_mgkg_day": None,
    "anakinra_cum_mg": None,
    "anakinra_days": None,
    "dose_group": None,
    "anakinra_ae_stop": 0,
    "peak_crs_grade": 0,
    "peak_icans_grade": None,
    "peak_icans_post_anakinra": None,
    "crs_days_to_resolution": None,
    "icans_days_to_resolution": None,
    "icans_days_anakinra_to_res": None,
    "steroid_cum_dexeq_mg": 0,
    "steroid_days": 0,
    "toci_doses": 0,
    "orr": None,
    "trm": None,
    "trm_d28": None,
    "trm_d60": None,
    "trm_d28_from_anakinra": None,
    "infection_d30": 0,
    "infection_g3_d30": 0,
}
