"""Demo data for development and benchmarks:
`manage.py seed_demo [--users N] [--questions N] [--attempts N]`.

Safe to run twice: every row has a deterministic id (uuid5 of a fixed namespace and the row's
place in the demo), inserts skip rows that exist, and what follows from the attempts (question
counters and answer counts, progress per question, mastery per topic) is recomputed from them
in SQL. Random choices come from generators seeded per user, per question and per block, so a
second run draws the same rows (and is then turned away by the conflicts).

`--users 200 --questions 5000 --attempts 1000000` (bench/answer_path.py) takes about 70 s on two
cores: answers are generated as plain tuples and COPYed in once, in binary; attempts, block items
and everything derived from them are then INSERT ... SELECT.
"""

import contextlib
import datetime
import hashlib
import json
import math
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from analytics.models import StudySession
from materials.models import JobStatus, JobType, Material, MaterialProcessingJob, ProcessingStatus
from practice.models import PracticeSession, SessionStatus, SessionType
from practice.selectors import BLOCK_SIZE_MAX, SECONDS_PER_QUESTION, BlockFilters
from practice.services import ATTEMPT_TYPES, PROFICIENCY_SQL
from progress.models import MasteryLevel, UserProgress
from questions.models import (
    AttemptType,
    Difficulty,
    Question,
    QuestionExplanation,
    QuestionOption,
    UserQuestionAttempt,
)
from studyin.rls import ROLE_SYSTEM, rls_context

NAMESPACE = uuid.UUID("5b0f3c52-7d43-4c1e-9a38-3f1d2c6e8a10")
DEMO_EMAIL = "demo@studyin.app"
DEMO_PASSWORD = "studyin-demo"
STAFF_EMAIL = "staff@studyin.app"
STAFF_PASSWORD = "studyin-staff"
BATCH = 2000
HISTORY_DAYS = 60
# Blocks fill the last 60 days but the last two hours, each ending before the next begins.
ACTIVITY_WINDOW = datetime.timedelta(days=HISTORY_DAYS, hours=-2)
BLOCK_SIZE_MIN = 10
LONGEST_ANSWER = 140  # seconds; timed and test blocks keep to their 90 a question
LONGEST_BLOCK = datetime.timedelta(seconds=BLOCK_SIZE_MAX * LONGEST_ANSWER)
SESSION_SHARE = 0.8  # of blocks; the others are loose review attempts outside any practice session
MARKED_SHARE = 0.04
STRUCK_SHARE = 0.2
ACTIVITY_BATCH = 50_000  # attempts generated before they are copied into the database


def demo_id(*parts: object) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


class Fact(NamedTuple):
    topic: str
    subtopic: str
    difficulty: str
    sex: str  # "male", "female" or "any"
    ages: tuple[int, int]
    stem: str  # follows "A 54-year-old man "
    lead: str
    answer: str
    why: str
    distractors: tuple[tuple[str, str], ...]  # (option, why it is wrong)
    pathophysiology: str
    clinical: str
    reference: str


FA = "First Aid for the USMLE Step 1"
# fmt: off
FACTS = (
    Fact(
        "Cardiology", "Myocardial infarction", "medium", "male", (48, 75),
        "comes to the emergency department with 2 hours of crushing substernal chest pain and diaphoresis. "
        "ECG shows ST-segment elevation in leads II, III and aVF.",
        "Which coronary artery is most likely occluded?",
        "Right coronary artery",
        "Leads II, III and aVF face the inferior wall, which the right coronary artery supplies in most hearts.",
        (
            ("Left anterior descending artery", "LAD occlusion raises ST segments in V1-V4 (anterior and septal wall)."),
            ("Left circumflex artery", "Circumflex occlusion shows in the lateral leads I, aVL, V5 and V6."),
            ("Left main coronary artery", "Left main occlusion gives diffuse ST depression with elevation in aVR."),
            ("First diagonal branch", "A diagonal branch supplies the anterolateral wall (I, aVL), not the inferior one."),
        ),
        "Rupture of an atherosclerotic plaque with occlusive thrombus causes transmural inferior ischemia.",
        "Inferior infarcts often involve the right ventricle: avoid nitrates and give fluids if hypotensive.",
        f"{FA}, Cardiovascular: myocardial infarction",
    ),
    Fact(
        "Cardiology", "Valvular disease", "easy", "any", (70, 86),
        "has had two episodes of syncope while climbing stairs. A harsh crescendo-decrescendo systolic murmur is "
        "heard at the right upper sternal border and radiates to the carotid arteries.",
        "Which is the most likely diagnosis?",
        "Aortic stenosis",
        "An ejection murmur at the right upper sternal border radiating to the carotids with exertional syncope is "
        "aortic stenosis.",
        (
            ("Mitral regurgitation", "A holosystolic murmur at the apex that radiates to the axilla."),
            ("Hypertrophic cardiomyopathy", "Its murmur grows with Valsalva and does not radiate to the carotids."),
            ("Aortic regurgitation", "A decrescendo diastolic murmur along the left sternal border."),
            ("Mitral stenosis", "A diastolic rumble after an opening snap, heard at the apex."),
        ),
        "Age-related calcification of the valve obstructs left ventricular outflow; concentric hypertrophy follows.",
        "Syncope, angina and heart failure in aortic stenosis call for valve replacement.",
        f"{FA}, Cardiovascular: heart murmurs",
    ),
    Fact(
        "Cardiology", "Heart failure", "medium", "any", (55, 80),
        "with heart failure and a left ventricular ejection fraction of 30% comes for follow-up. Current medications "
        "are furosemide and lisinopril.",
        "Adding which drug is most likely to reduce mortality?",
        "Metoprolol succinate",
        "Beta blockers (metoprolol succinate, carvedilol, bisoprolol) reduce mortality in HFrEF.",
        (
            ("Digoxin", "Digoxin relieves symptoms and hospitalisations without a mortality benefit."),
            ("Verapamil", "A negative inotrope that worsens heart failure with reduced ejection fraction."),
            ("Amlodipine", "Neutral on mortality in heart failure."),
            ("Hydrochlorothiazide", "Relieves congestion at best; no mortality benefit."),
        ),
        "Chronic sympathetic activation is toxic to myocytes and drives adverse remodelling.",
        "Guideline therapy for HFrEF: beta blocker, ACE inhibitor/ARNI, mineralocorticoid antagonist, SGLT2 inhibitor.",
        f"{FA}, Pharmacology: cardiovascular drugs",
    ),
    Fact(
        "Pulmonology", "Pulmonary embolism", "easy", "any", (45, 80),
        "develops sudden dyspnea and pleuritic chest pain 3 days after a total hip replacement. Pulse is 118/min and "
        "oxygen saturation is 88% on room air; the lungs are clear to auscultation.",
        "Which is the most likely diagnosis?",
        "Pulmonary embolism",
        "Sudden dyspnea, tachycardia and hypoxemia with clear lungs after orthopedic surgery is pulmonary embolism.",
        (
            ("Pneumothorax", "Breath sounds would be absent on one side with hyperresonance."),
            ("Pneumonia", "Fever, productive cough and crackles over a consolidation."),
            ("Atelectasis", "Mild hypoxemia and low-grade fever in the first day after surgery, not a sudden event."),
            ("Acute pericarditis", "Positional chest pain relieved by leaning forward, with a friction rub."),
        ),
        "A deep-vein thrombus embolises to the pulmonary arteries: dead-space ventilation and V/Q mismatch.",
        "Virchow triad (stasis, endothelial injury, hypercoagulability) is complete after hip surgery.",
        f"{FA}, Respiratory: pulmonary emboli",
    ),
    Fact(
        "Pulmonology", "Emphysema", "medium", "any", (32, 48),
        "who has never smoked has progressive dyspnea. Chest CT shows panacinar emphysema of the lower lobes and "
        "serum aminotransferases are mildly elevated.",
        "Deficiency of which protein is most likely?",
        "Alpha-1 antitrypsin",
        "Panacinar, lower-lobe emphysema in a young nonsmoker with liver disease is alpha-1 antitrypsin deficiency.",
        (
            ("CFTR chloride channel", "Cystic fibrosis causes bronchiectasis, not panacinar emphysema."),
            ("Surfactant protein B", "Surfactant deficiency causes neonatal respiratory distress."),
            ("Ceruloplasmin", "Low in Wilson disease, which spares the lungs."),
            ("Dystrophin", "Duchenne dystrophy weakens respiratory muscles but does not cause emphysema."),
        ),
        "Unopposed neutrophil elastase destroys alveolar walls; misfolded protein accumulates in hepatocytes.",
        "Smoking sharply accelerates the emphysema; PAS-positive globules are seen in the liver.",
        f"{FA}, Respiratory: obstructive lung diseases",
    ),
    Fact(
        "Pulmonology", "Sarcoidosis", "hard", "female", (25, 42),
        "has a dry cough and tender red nodules on both shins. Chest x-ray shows bilateral hilar lymphadenopathy; "
        "serum calcium is elevated.",
        "A biopsy of a hilar lymph node would most likely show which finding?",
        "Noncaseating granulomas",
        "Bilateral hilar adenopathy, erythema nodosum and hypercalcemia point to sarcoidosis.",
        (
            ("Caseating granulomas", "Typical of tuberculosis and some fungal infections."),
            ("Reed-Sternberg cells", "Seen in Hodgkin lymphoma."),
            ("Ferruginous bodies", "Asbestos fibres coated with iron, in asbestosis."),
            ("Small round blue cells", "Small cell carcinoma, a central tumour in smokers."),
        ),
        "A Th1 response to an unknown antigen forms granulomas whose macrophages make calcitriol.",
        "Hypercalcemia comes from 1-alpha-hydroxylase activity in granuloma macrophages.",
        f"{FA}, Respiratory: sarcoidosis",
    ),
    Fact(
        "Renal", "Nephrotic syndrome", "medium", "male", (3, 7),
        "has swelling around the eyes. Urinalysis shows 4+ protein and no blood; serum albumin is 1.9 g/dL.",
        "Electron microscopy of a renal biopsy specimen would most likely show which finding?",
        "Effacement of podocyte foot processes",
        "Minimal change disease, the commonest nephrotic syndrome in children, shows only foot-process effacement.",
        (
            ("Subepithelial humps", "Poststreptococcal glomerulonephritis, a nephritic syndrome."),
            ("Spike-and-dome subepithelial deposits", "Membranous nephropathy, the adult nephrotic syndrome."),
            ("Splitting of the glomerular basement membrane", "Alport syndrome, with hearing loss."),
            ("Subendothelial deposits with tram-track", "Membranoproliferative glomerulonephritis."),
        ),
        "Cytokine injury to podocytes loses the basement membrane's charge barrier: selective albuminuria.",
        "It responds to corticosteroids; light microscopy is normal.",
        f"{FA}, Renal: nephrotic syndrome",
    ),
    Fact(
        "Renal", "Diuretics", "medium", "any", (50, 78),
        "started a new antihypertensive drug a month ago. Serum potassium is 3.1 mEq/L and calcium 10.9 mg/dL.",
        "Which drug was most likely started?",
        "Hydrochlorothiazide",
        "Thiazides waste potassium and increase calcium reabsorption in the distal convoluted tubule.",
        (
            ("Furosemide", "Loop diuretics waste calcium: they lower serum calcium."),
            ("Spironolactone", "Potassium-sparing: it raises serum potassium."),
            ("Acetazolamide", "Causes a hyperchloremic metabolic acidosis, not hypercalcemia."),
            ("Lisinopril", "ACE inhibitors raise serum potassium."),
        ),
        "Blocking the Na-Cl cotransporter lowers intracellular sodium, which drives basolateral Na/Ca exchange.",
        "The calcium-sparing effect makes thiazides useful in calcium stone formers.",
        f"{FA}, Renal: diuretics",
    ),
    Fact(
        "Renal", "Nephritic syndrome", "easy", "male", (5, 12),
        "has cola-colored urine and puffy eyes 2 weeks after a sore throat. Blood pressure is 140/90 mm Hg and "
        "serum C3 is low.",
        "Which is the most likely diagnosis?",
        "Poststreptococcal glomerulonephritis",
        "Hematuria, edema and hypertension weeks after pharyngitis with low C3 is poststreptococcal GN.",
        (
            ("IgA nephropathy", "Hematuria within days of an infection, with normal complement."),
            ("Minimal change disease", "Nephrotic: proteinuria without hematuria or hypertension."),
            ("Hemolytic uremic syndrome", "Follows bloody diarrhea, with anemia and thrombocytopenia."),
            ("Alport syndrome", "Hereditary, with sensorineural hearing loss and eye changes."),
        ),
        "Immune complexes with streptococcal antigens deposit in glomeruli and activate complement.",
        "Most children recover fully; adults more often progress.",
        f"{FA}, Renal: nephritic syndrome",
    ),
    Fact(
        "Endocrine", "Thyroid", "easy", "female", (24, 45),
        "has weight loss, palpitations and heat intolerance. She has proptosis and pretibial myxedema; TSH is "
        "suppressed.",
        "Which mechanism underlies this condition?",
        "Antibodies that stimulate the TSH receptor",
        "Graves disease: thyroid-stimulating immunoglobulins, with ophthalmopathy and dermopathy.",
        (
            ("Antibodies against thyroid peroxidase", "Hashimoto thyroiditis, which ends in hypothyroidism."),
            ("An autonomous thyroid nodule", "A toxic adenoma: no eye signs or dermopathy."),
            ("Release of stored hormone after a viral illness", "Subacute thyroiditis, with a painful gland."),
            ("A TSH-secreting pituitary adenoma", "TSH would be high, not suppressed."),
        ),
        "TSH-receptor antibodies also activate orbital fibroblasts, which lay down glycosaminoglycans.",
        "Beta blockers for symptoms; methimazole, radioiodine or surgery for the gland.",
        f"{FA}, Endocrine: hyperthyroidism",
    ),
    Fact(
        "Endocrine", "Diabetes", "medium", "any", (13, 30),
        "with type 1 diabetes has abdominal pain, vomiting and deep, rapid breathing. Glucose is 520 mg/dL, "
        "bicarbonate 9 mEq/L and serum ketones are positive.",
        "Which is the most appropriate initial step in management?",
        "Intravenous 0.9% saline",
        "Diabetic ketoacidosis is treated first with fluids, then intravenous insulin with potassium replacement.",
        (
            ("Intravenous sodium bicarbonate", "Reserved for a pH below 6.9."),
            ("Subcutaneous insulin glargine", "DKA needs an intravenous regular insulin infusion."),
            ("Oral metformin", "No role in type 1 diabetes, and dangerous in acidosis."),
            ("Intravenous 50% dextrose", "Dextrose is added only once glucose falls to about 200-250 mg/dL."),
        ),
        "Insulin deficiency frees lipolysis; the liver turns fatty acids into ketoacids.",
        "Total-body potassium is low even when serum potassium is normal or high.",
        f"{FA}, Endocrine: diabetic ketoacidosis",
    ),
    Fact(
        "Endocrine", "Adrenal", "hard", "any", (35, 60),
        "has hypertension despite three drugs. Serum potassium is 2.9 mEq/L; plasma aldosterone is high and renin "
        "activity is suppressed.",
        "Which is the most likely diagnosis?",
        "Primary hyperaldosteronism",
        "High aldosterone with low renin, hypertension and hypokalemia is primary hyperaldosteronism.",
        (
            ("Renal artery stenosis", "Secondary hyperaldosteronism: renin is high."),
            ("Pheochromocytoma", "Episodic headache, sweating and palpitations; the renin-aldosterone axis is normal."),
            ("Cushing syndrome", "Cortisol excess: central obesity, striae, proximal weakness."),
            ("Liddle syndrome", "Both aldosterone and renin are low."),
        ),
        "An adrenal adenoma or bilateral hyperplasia secretes aldosterone autonomously.",
        "Treat an adenoma with surgery, hyperplasia with spironolactone or eplerenone.",
        f"{FA}, Endocrine: hyperaldosteronism",
    ),
    Fact(
        "Gastroenterology", "Malabsorption", "easy", "any", (20, 40),
        "has chronic diarrhea, bloating and iron-deficiency anemia, with an itchy vesicular rash on the elbows.",
        "Which is the best initial screening test?",
        "Serum IgA anti-tissue transglutaminase antibodies",
        "Celiac disease (dermatitis herpetiformis, iron deficiency) is screened for with IgA anti-tTG.",
        (
            ("Stool ova and parasites", "Looks for Giardia and other parasites."),
            ("Hydrogen breath test", "Diagnoses lactose intolerance and bacterial overgrowth."),
            ("Colonoscopy", "Celiac disease affects the small bowel; the biopsy is duodenal."),
            ("Anti-Saccharomyces cerevisiae antibodies", "Associated with Crohn disease."),
        ),
        "Gliadin deamidated by tissue transglutaminase drives a T-cell response: villous atrophy.",
        "Check total IgA too: IgA deficiency is common in celiac disease and gives a false negative.",
        f"{FA}, Gastrointestinal: malabsorption syndromes",
    ),
    Fact(
        "Gastroenterology", "Inflammatory bowel disease", "medium", "any", (18, 35),
        "has crampy abdominal pain, nonbloody diarrhea and a perianal fistula. Colonoscopy shows skip lesions with "
        "a cobblestone mucosa.",
        "A biopsy specimen would most likely show which finding?",
        "Transmural inflammation with noncaseating granulomas",
        "Skip lesions, cobblestoning and fistulas are Crohn disease: transmural, with granulomas.",
        (
            ("Mucosal inflammation with crypt abscesses only", "Ulcerative colitis, continuous from the rectum."),
            ("Flask-shaped ulcers", "Entamoeba histolytica."),
            ("PAS-positive foamy macrophages", "Whipple disease."),
            ("Villous atrophy with crypt hyperplasia", "Celiac disease."),
        ),
        "A Th1-mediated response to gut flora in a genetically susceptible host (NOD2).",
        "Smoking worsens Crohn disease; fistulas and strictures are typical complications.",
        f"{FA}, Gastrointestinal: inflammatory bowel diseases",
    ),
    Fact(
        "Gastroenterology", "Hepatitis", "hard", "any", (22, 55),
        "has routine preoperative blood tests. Serology shows HBsAg negative, anti-HBs positive and anti-HBc "
        "negative.",
        "Which best explains these results?",
        "Immunity from hepatitis B vaccination",
        "Anti-HBs alone, without anti-HBc, means immunity from the vaccine (which contains only HBsAg).",
        (
            ("Resolved natural infection", "Would also have IgG anti-HBc."),
            ("Chronic hepatitis B infection", "HBsAg stays positive for more than 6 months."),
            ("Acute infection in the window period", "IgM anti-HBc would be positive."),
            ("Acute hepatitis B infection", "HBsAg and IgM anti-HBc would be positive."),
        ),
        "The vaccine is recombinant surface antigen: it raises antibody to HBsAg only.",
        "Health-care workers are checked for anti-HBs after vaccination.",
        f"{FA}, Microbiology: hepatitis serologic markers",
    ),
    Fact(
        "Neurology", "Neuromuscular junction", "medium", "female", (22, 40),
        "has double vision and drooping eyelids that get worse toward the end of the day and improve with rest.",
        "Antibodies against which structure are most likely responsible?",
        "Postsynaptic acetylcholine receptors",
        "Fatigable ptosis and diplopia are myasthenia gravis: antibodies to the acetylcholine receptor.",
        (
            ("Presynaptic voltage-gated calcium channels", "Lambert-Eaton: weakness improves with use."),
            ("Peripheral nerve myelin", "Guillain-Barre: ascending weakness and areflexia."),
            ("Aquaporin-4", "Neuromyelitis optica: optic neuritis and myelitis."),
            ("Ganglioside GQ1b", "Miller Fisher syndrome: ophthalmoplegia, ataxia and areflexia."),
        ),
        "Antibodies block and internalise receptors and activate complement at the endplate.",
        "Check for a thymoma with chest CT.",
        f"{FA}, Neurology: neuromuscular junction diseases",
    ),
    Fact(
        "Neurology", "Stroke", "medium", "any", (58, 84),
        "has sudden weakness and numbness of the right face and arm, worse than the leg, and cannot speak "
        "fluently but follows commands.",
        "Occlusion of which artery is most likely?",
        "Left middle cerebral artery",
        "Contralateral face and arm deficits with Broca aphasia localise to the dominant MCA territory.",
        (
            ("Left anterior cerebral artery", "Leg weakness more than arm."),
            ("Right middle cerebral artery", "Left-sided deficits, with hemineglect."),
            ("Left posterior cerebral artery", "Contralateral hemianopia with macular sparing."),
            ("Basilar artery", "Locked-in syndrome, cranial nerve palsies or coma."),
        ),
        "An embolus to the MCA infarcts the lateral frontal and parietal cortex, including Broca area.",
        "Within 4.5 hours, consider thrombolysis; large-vessel occlusion may be treated by thrombectomy.",
        f"{FA}, Neurology: stroke anatomy",
    ),
    Fact(
        "Neurology", "Movement disorders", "easy", "male", (60, 82),
        "has a resting tremor of the right hand, slow movements and cogwheel rigidity.",
        "Degeneration of neurons in which structure is most likely?",
        "Substantia nigra pars compacta",
        "Parkinson disease: loss of dopaminergic neurons of the substantia nigra pars compacta.",
        (
            ("Caudate nucleus", "Atrophies in Huntington disease."),
            ("Nucleus basalis of Meynert", "Cholinergic loss in Alzheimer disease."),
            ("Cerebellar vermis", "Truncal ataxia."),
            ("Subthalamic nucleus", "A lesion causes contralateral hemiballismus."),
        ),
        "Alpha-synuclein Lewy bodies accompany the loss of nigrostriatal dopamine.",
        "Levodopa with carbidopa is the most effective symptomatic treatment.",
        f"{FA}, Neurology: movement disorders",
    ),
    Fact(
        "Pharmacology", "Drug interactions", "hard", "any", (62, 85),
        "who takes warfarin for atrial fibrillation starts an antibiotic; 5 days later the gums bleed and the INR "
        "is 6.2.",
        "Which antibiotic was most likely prescribed?",
        "Trimethoprim-sulfamethoxazole",
        "Sulfamethoxazole inhibits CYP2C9 and displaces warfarin from albumin: the INR rises.",
        (
            ("Rifampin", "A CYP inducer: it lowers the INR."),
            ("Nafcillin", "Induces CYP enzymes: it lowers the INR."),
            ("Nitrofurantoin", "No clinically important interaction with warfarin."),
            ("Fosfomycin", "A single dose with no CYP interaction."),
        ),
        "S-warfarin, the more potent enantiomer, is cleared by CYP2C9.",
        "Check the INR within days whenever a drug is added to warfarin.",
        f"{FA}, Pharmacology: cytochrome P-450 interactions",
    ),
    Fact(
        "Pharmacology", "Anesthesia", "medium", "any", (18, 50),
        "develops a temperature of 40.5 C, generalised muscle rigidity and rising end-tidal CO2 minutes after "
        "induction of anesthesia with sevoflurane and succinylcholine.",
        "Which drug should be given?",
        "Dantrolene",
        "Malignant hyperthermia is treated with dantrolene, which blocks calcium release from the ryanodine receptor.",
        (
            ("Bromocriptine", "Used in neuroleptic malignant syndrome."),
            ("Cyproheptadine", "A serotonin antagonist for serotonin syndrome."),
            ("Acetaminophen", "Lowers the hypothalamic set point; this fever is muscular."),
            ("Neostigmine", "Reverses nondepolarizing neuromuscular blockade."),
        ),
        "A mutant ryanodine receptor (RYR1) releases calcium uncontrollably when exposed to the triggers.",
        "The trait is autosomal dominant: relatives should be warned.",
        f"{FA}, Pharmacology: inhaled anesthetics",
    ),
    Fact(
        "Pharmacology", "Toxicology", "easy", "male", (30, 62),
        "is brought in from the fields, where he was spraying crops, with miosis, salivation, wheezing with copious "
        "secretions, diarrhea and a pulse of 44/min.",
        "Which is the most appropriate treatment?",
        "Atropine and pralidoxime",
        "Organophosphate poisoning: atropine for muscarinic effects, pralidoxime to regenerate cholinesterase.",
        (
            ("Physostigmine", "A cholinesterase inhibitor: it would make this worse."),
            ("Naloxone", "Opioids cause miosis, but not secretions or diarrhea."),
            ("Flumazenil", "Reverses benzodiazepines."),
            ("N-acetylcysteine", "The antidote for acetaminophen."),
        ),
        "Organophosphates irreversibly phosphorylate acetylcholinesterase: acetylcholine accumulates.",
        "Pralidoxime must be given before the enzyme ages.",
        f"{FA}, Pharmacology: toxicities and antidotes",
    ),
    Fact(
        "Microbiology", "Pneumonia", "easy", "any", (55, 80),
        "has fever, a cough with rust-colored sputum and right lower lobe consolidation. Sputum Gram stain shows "
        "lancet-shaped gram-positive diplococci.",
        "Which is the most likely organism?",
        "Streptococcus pneumoniae",
        "Lancet-shaped gram-positive diplococci with lobar pneumonia are pneumococci.",
        (
            ("Staphylococcus aureus", "Gram-positive cocci in clusters."),
            ("Klebsiella pneumoniae", "Gram-negative rods; currant-jelly sputum in alcoholics."),
            ("Mycoplasma pneumoniae", "No cell wall: not seen on Gram stain."),
            ("Legionella pneumophila", "Stains poorly; causes hyponatremia and diarrhea."),
        ),
        "The polysaccharide capsule resists phagocytosis; splenic function is the main defence.",
        "The commonest cause of community-acquired pneumonia.",
        f"{FA}, Microbiology: Streptococcus pneumoniae",
    ),
    Fact(
        "Microbiology", "Clostridioides difficile", "medium", "any", (60, 85),
        "has profuse watery diarrhea and abdominal cramps 6 days after starting clindamycin for cellulitis. A stool "
        "toxin test is positive.",
        "Which is the most appropriate treatment?",
        "Oral vancomycin",
        "Oral vancomycin (or fidaxomicin) treats C. difficile colitis.",
        (
            ("Intravenous vancomycin", "Does not reach the colon lumen."),
            ("Loperamide", "Slows clearance of the toxin."),
            ("Ciprofloxacin", "A fluoroquinolone is a risk factor, not a treatment."),
            ("Intravenous ceftriaxone", "Cephalosporins predispose to the infection."),
        ),
        "Antibiotics clear the normal flora; toxins A and B glucosylate Rho GTPases in colonocytes.",
        "Alcohol hand rubs do not kill spores: wash with soap and water.",
        f"{FA}, Microbiology: Clostridioides difficile",
    ),
    Fact(
        "Microbiology", "Meningitis", "medium", "any", (18, 22),
        "who lives in a college dormitory has fever, neck stiffness and a petechial rash. The CSF Gram stain "
        "shows gram-negative diplococci.",
        "Which is the most likely organism?",
        "Neisseria meningitidis",
        "Gram-negative diplococci with petechiae in a young adult in a dormitory are meningococci.",
        (
            ("Streptococcus pneumoniae", "Gram-positive diplococci."),
            ("Haemophilus influenzae", "Gram-negative coccobacilli, mainly in unvaccinated children."),
            ("Listeria monocytogenes", "Gram-positive rods, in neonates and the elderly."),
            ("Escherichia coli K1", "Gram-negative rods, in neonates."),
        ),
        "Lipooligosaccharide endotoxin drives sepsis and disseminated intravascular coagulation.",
        "Close contacts get prophylaxis with rifampin, ciprofloxacin or ceftriaxone.",
        f"{FA}, Microbiology: Neisseria",
    ),
    Fact(
        "Hematology", "Anemia", "easy", "female", (20, 45),
        "has fatigue and heavy menstrual periods. Hemoglobin is 9.1 g/dL with microcytic red cells; ferritin is low "
        "and total iron-binding capacity is high.",
        "Which is the most likely diagnosis?",
        "Iron deficiency anemia",
        "Microcytosis with low ferritin and high TIBC is iron deficiency, here from menstrual loss.",
        (
            ("Anemia of chronic disease", "Ferritin normal or high, TIBC low."),
            ("Beta-thalassemia minor", "Normal iron studies and raised HbA2."),
            ("Sideroblastic anemia", "High serum iron and ringed sideroblasts."),
            ("Vitamin B12 deficiency", "Macrocytic, with neurologic signs."),
        ),
        "Without iron, heme synthesis fails and red cells divide further: small, pale cells.",
        "In men and postmenopausal women, look for gastrointestinal blood loss.",
        f"{FA}, Hematology: microcytic anemias",
    ),
    Fact(
        "Hematology", "Coagulation", "hard", "any", (45, 78),
        "receiving unfractionated heparin after surgery has a platelet count that falls from 250,000 to "
        "90,000/mm3 on day 6, and a new deep-vein thrombosis.",
        "Which is the most appropriate next step?",
        "Stop heparin and start argatroban",
        "Heparin-induced thrombocytopenia: stop all heparin and anticoagulate with a direct thrombin inhibitor.",
        (
            ("Switch to enoxaparin", "Low-molecular-weight heparin cross-reacts with the antibodies."),
            ("Transfuse platelets", "May worsen thrombosis."),
            ("Start warfarin at once", "Risks venous limb gangrene; start only after platelets recover."),
            ("Continue heparin and repeat the count", "Thrombosis will progress."),
        ),
        "IgG against heparin-platelet factor 4 complexes activates platelets: consumption and thrombosis.",
        "Typical onset is 5-10 days after starting heparin.",
        f"{FA}, Hematology: heparin-induced thrombocytopenia",
    ),
    Fact(
        "Hematology", "Bleeding disorders", "medium", "male", (4, 12),
        "has had recurrent joint bleeds since infancy. Platelet count and PT are normal, aPTT is prolonged, and a "
        "maternal uncle had the same problem.",
        "Deficiency of which factor is most likely?",
        "Factor VIII",
        "X-linked hemarthroses with a prolonged aPTT are hemophilia, and hemophilia A (factor VIII) is the common one.",
        (
            ("von Willebrand factor", "Mucocutaneous bleeding, autosomal dominant."),
            ("Factor VII", "Prolongs the PT, not the aPTT."),
            ("Factor XII", "Prolongs the aPTT without bleeding."),
            ("Factor XIII", "Normal PT and aPTT; delayed bleeding from the umbilical stump."),
        ),
        "Without factor VIII the intrinsic tenase complex fails and clots are unstable.",
        "Treat bleeds with factor VIII concentrate or emicizumab prophylaxis.",
        f"{FA}, Hematology: coagulation disorders",
    ),
    Fact(
        "Anatomy", "Upper limb", "easy", "any", (20, 70),
        "fractures the midshaft of the humerus in a fall and afterwards cannot extend the wrist or fingers.",
        "Injury to which nerve is most likely?",
        "Radial nerve",
        "The radial nerve runs in the spiral groove of the humerus: wrist drop follows a midshaft fracture.",
        (
            ("Axillary nerve", "Injured at the surgical neck: deltoid weakness."),
            ("Median nerve", "Supracondylar fracture: ape hand."),
            ("Ulnar nerve", "Medial epicondyle: claw hand."),
            ("Musculocutaneous nerve", "Weak elbow flexion and lateral forearm numbness."),
        ),
        "The nerve lies directly on bone in the spiral groove, where fragments stretch or cut it.",
        "Most such injuries are neurapraxias that recover.",
        f"{FA}, Musculoskeletal: upper limb nerves",
    ),
    Fact(
        "Anatomy", "Head and neck", "medium", "female", (30, 65),
        "has a hoarse voice the day after a total thyroidectomy.",
        "Injury to which nerve is most likely?",
        "Recurrent laryngeal nerve",
        "The recurrent laryngeal nerve runs near the inferior thyroid artery and supplies all intrinsic laryngeal "
        "muscles but the cricothyroid.",
        (
            ("External branch of the superior laryngeal nerve", "Loss of high pitch; the voice is not hoarse."),
            ("Hypoglossal nerve", "The tongue deviates toward the injured side."),
            ("Glossopharyngeal nerve", "Loss of the gag reflex and posterior tongue taste."),
            ("Phrenic nerve", "Paralyses the hemidiaphragm."),
        ),
        "Paralysis of the posterior cricoarytenoid and other intrinsic muscles leaves one vocal fold fixed.",
        "Bilateral injury can obstruct the airway.",
        f"{FA}, Endocrine: thyroid surgery",
    ),
    Fact(
        "Anatomy", "Thorax", "medium", "female", (40, 70),
        "has a winged scapula after an axillary lymph node dissection for breast cancer.",
        "Injury to which nerve is most likely?",
        "Long thoracic nerve",
        "The long thoracic nerve supplies serratus anterior; injury in axillary surgery wings the scapula.",
        (
            ("Thoracodorsal nerve", "Latissimus dorsi: weak adduction and extension."),
            ("Axillary nerve", "Deltoid and teres minor."),
            ("Suprascapular nerve", "Weak initial abduction and external rotation."),
            ("Spinal accessory nerve", "Trapezius: shoulder droop with lateral winging."),
        ),
        "Serratus anterior holds the scapula against the chest wall and rotates it upward.",
        "The patient cannot abduct the arm above the horizontal.",
        f"{FA}, Musculoskeletal: upper limb nerves",
    ),
)
# fmt: on

MATERIAL_TITLES = {
    "Cardiology": ("First Aid Cardiology chapter", "Pathoma Ch. 8: Cardiac pathology"),
    "Pulmonology": ("First Aid Respiratory chapter", "Boards and Beyond: Pulmonary notes"),
    "Renal": ("First Aid Renal chapter", "Pathoma Ch. 12: Kidney and urinary tract"),
    "Endocrine": ("First Aid Endocrine chapter", "Thyroid and adrenal lecture notes"),
    "Gastroenterology": ("First Aid Gastrointestinal chapter", "Pathoma Ch. 10: Gastrointestinal pathology"),
    "Neurology": ("First Aid Neurology chapter", "Neuroanatomy stroke syndromes summary"),
    "Pharmacology": ("First Aid Pharmacology chapter", "Antidotes and drug interactions cheat sheet"),
    "Microbiology": ("Sketchy Micro bacteria notes", "First Aid Microbiology chapter"),
    "Hematology": ("Pathoma Ch. 5: Red blood cell disorders", "Coagulation cascade review"),
    "Anatomy": ("Upper limb nerve injuries", "Head and neck anatomy lecture"),
}
TOPICS = tuple(MATERIAL_TITLES)
FILE_TYPES = (
    ("application/pdf", "pdf"),
    ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("text/markdown", "md"),
    ("text/plain", "txt"),
)
FIRST_NAMES = ("Ava", "Noah", "Mia", "Liam", "Zoe", "Omar", "Priya", "Chen", "Lucas", "Amara", "Diego", "Hana")
LAST_NAMES = ("Patel", "Nguyen", "Garcia", "Okafor", "Kim", "Rossi", "Haddad", "Novak", "Silva", "Cohen", "Ito")
DIFFICULTY_SHIFT = {Difficulty.EASY: 0.1, Difficulty.MEDIUM: 0.0, Difficulty.HARD: -0.1, Difficulty.NBME: -0.15}


@dataclass(frozen=True)
class SeedUser:
    email: str
    id: uuid.UUID
    heavy: bool  # the demo account gets a fuller history
    active: bool = True  # the staff account has no study history


@dataclass(frozen=True)
class SeedQuestion:
    id: uuid.UUID
    topic: str
    difficulty: str
    correct_index: int
    option_count: int


def _patient(rng: random.Random, fact: Fact) -> str:
    age = rng.randint(*fact.ages)
    sex = fact.sex if fact.sex != "any" else rng.choice(("male", "female"))
    noun = {("male", True): "boy", ("female", True): "girl", ("male", False): "man", ("female", False): "woman"}
    article = "An" if age in (8, 11, 18) or 80 <= age <= 89 else "A"
    return f"{article} {age}-year-old {noun[sex, age < 18]}"


SESSION_COLUMNS = (
    "id", "user_id", "session_type", "settings", "total_questions", "correct_count", "total_time_seconds",
    "xp_earned", "status", "current_position", "elapsed_seconds", "resumed_at", "time_limit_seconds",
    "started_at", "completed_at", "created_at",
)  # fmt: skip
# One row per answer, copied in once: each becomes an attempt, and a block item when it was
# answered in a practice session (item_id and session_id NULL otherwise).
ANSWER_COLUMNS = (
    "attempt_id", "item_id", "session_id", "user_id", "question_id", "question_order", "selected_index",
    "is_correct", "confidence_rating", "time_taken_seconds", "attempt_type", "answered_at", "is_marked",
    "struck_options",
)  # fmt: skip
ANSWER_TYPES = (
    "uuid", "uuid", "uuid", "uuid", "uuid", "integer", "integer", "boolean", "integer", "integer", "text",
    "timestamptz", "boolean", "jsonb",
)  # fmt: skip
STAGE_ANSWERS = f"""
CREATE TEMPORARY TABLE seed_answers ({", ".join(f"{c} {t}" for c, t in zip(ANSWER_COLUMNS, ANSWER_TYPES, strict=True))})
ON COMMIT DROP
"""
INSERT_ITEMS = """
INSERT INTO practice_session_questions (id, session_id, question_id, question_order, selected_index, confidence_rating,
                                        is_marked, struck_options, shown_at, is_correct, time_taken_seconds, answered_at)
SELECT item_id, session_id, question_id, question_order, selected_index, confidence_rating, is_marked, struck_options,
       answered_at - make_interval(secs => time_taken_seconds), is_correct, time_taken_seconds, answered_at
FROM seed_answers
WHERE session_id IS NOT NULL
ON CONFLICT DO NOTHING
"""
INSERT_ATTEMPTS = """
INSERT INTO user_question_attempts (id, user_id, question_id, selected_index, is_correct, confidence_rating,
                                    time_taken_seconds, attempt_type, session_id, answered_at)
SELECT attempt_id, user_id, question_id, selected_index, is_correct, confidence_rating, time_taken_seconds,
       attempt_type, session_id, answered_at
FROM seed_answers
ON CONFLICT DO NOTHING
"""


def _demo_ids(*parts: object) -> Callable[[int], uuid.UUID]:
    """demo_id(*parts, k) for many k, hashing the common prefix once (a million ids add up)."""
    prefix = hashlib.sha1(NAMESPACE.bytes + (":".join(str(p) for p in parts) + ":").encode())

    def make(k: int) -> uuid.UUID:
        h = prefix.copy()
        h.update(str(k).encode())
        return uuid.UUID(bytes=h.digest()[:16], version=5)

    return make


class _Block(NamedTuple):
    session: tuple | None  # SESSION_COLUMNS; None for loose review attempts
    answers: list[tuple]  # ANSWER_COLUMNS


@dataclass
class _Rows:
    sessions: list[tuple] = field(default_factory=list)
    answers: list[tuple] = field(default_factory=list)

    def add(self, block: _Block) -> None:
        if block.session:
            self.sessions.append(block.session)
        self.answers.extend(block.answers)

    def copy_into(self, sessions: "_Staging") -> list[uuid.UUID]:
        """COPY the rows into the staging tables; returns the practice session ids."""
        sessions.copy(PracticeSession._meta.db_table, self.sessions)
        _copy("seed_answers", ", ".join(ANSWER_COLUMNS), self.answers, ANSWER_TYPES)
        return [session[0] for session in self.sessions]


def _user_blocks(
    user: SeedUser, target: int, questions: list[SeedQuestion], now: datetime.datetime
) -> Iterator[_Block]:
    """The student's blocks, oldest first, until they hold `target` attempts. Each block draws
    from a generator of its own (student, number), so a larger --attempts adds blocks and
    changes none of those already there; the blocks share out the window evenly."""
    skill = random.Random(f"skill:{user.email}").uniform(0.55, 0.85)
    drafts: list[tuple[random.Random, int]] = []
    total = 0
    while total < target:
        rng = random.Random(f"block:{user.email}:{len(drafts)}")
        size = min(len(questions), rng.randint(BLOCK_SIZE_MIN, BLOCK_SIZE_MAX))
        drafts.append((rng, size))
        total += size
    if not drafts:
        return
    slot = ACTIVITY_WINDOW / len(drafts)
    slack = max(0.0, (slot - LONGEST_BLOCK).total_seconds())
    first = now - datetime.timedelta(days=HISTORY_DAYS)
    for b, (rng, size) in enumerate(drafts):
        start = first + b * slot + datetime.timedelta(seconds=round(rng.uniform(0, slack)))
        yield _block(user, b, rng, size, skill, questions, start)


def _block(
    user: SeedUser, b: int, rng: random.Random, size: int, skill: float, questions: list[SeedQuestion],
    start: datetime.datetime,
) -> _Block:  # fmt: skip
    session_type = rng.choice(SessionType.values) if rng.random() < SESSION_SHARE else None
    session_id = demo_id("session", user.email, b) if session_type else None
    attempt_id, item_id = _demo_ids("attempt", user.email, b), _demo_ids("session", user.email, b)
    attempt_type = str(ATTEMPT_TYPES[session_type] if session_type else AttemptType.REVIEW)
    timed = session_type in (SessionType.TIMED, SessionType.TEST)
    longest = SECONDS_PER_QUESTION if timed else LONGEST_ANSWER
    answers = []
    answered_at, correct_count = start, 0
    for order, k in enumerate(rng.sample(range(len(questions)), size), 1):
        q = questions[k]
        is_correct = rng.random() < skill + DIFFICULTY_SHIFT[q.difficulty]
        # A wrong answer picks any of the other options, each as likely.
        selected = (
            q.correct_index if is_correct else (q.correct_index + rng.randint(1, q.option_count - 1)) % q.option_count
        )
        seconds = rng.randint(25, longest)
        confidence = rng.randint(3, 5) if is_correct else rng.randint(1, 4)
        answered_at += datetime.timedelta(seconds=seconds)
        correct_count += is_correct
        marked, struck = False, []
        if session_id:
            marked = rng.random() < MARKED_SHARE
            if rng.random() < STRUCK_SHARE:  # one or two options ruled out before answering
                others = [i for i in range(q.option_count) if i not in (selected, q.correct_index)]
                struck = sorted(rng.sample(others, min(len(others), rng.randint(1, 2))))
        answers.append(
            (attempt_id(order), item_id(order) if session_id else None, session_id, user.id, q.id, order, selected,
             is_correct, confidence, seconds, attempt_type, answered_at, marked, struck)
        )  # fmt: skip
    session = None
    if session_id:
        elapsed = int((answered_at - start).total_seconds())
        session = (
            session_id, user.id, session_type, json.dumps(BlockFilters(mode=session_type, size=size).as_settings()),
            size, correct_count, elapsed, 0,  # XP is the gamification services' to award
            str(SessionStatus.COMPLETED), size, elapsed, None, SECONDS_PER_QUESTION * size if timed else None,
            start, answered_at, start,
        )  # fmt: skip
    return _Block(session, answers)


class _Staging:
    """Rows for several tables, COPYed into temporary twins of them as they come, then inserted
    into the real tables (in the order given, for the foreign keys) with INSERT ... SELECT ...
    ON CONFLICT DO NOTHING: COPY alone cannot skip rows that exist.

    Several times faster than bulk_create, and it keeps the rows' own timestamps where
    bulk_create would overwrite an auto_now_add column (answered_at, started_at) with now.
    Inside a transaction: the temporary tables go with it."""

    def __init__(self, tables: dict[str, Sequence[str]]):
        self.tables = {
            table: ", ".join(connection.ops.quote_name(c) for c in columns) for table, columns in tables.items()
        }
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"DROP TABLE IF EXISTS seed_{table}")
                cursor.execute(f"CREATE TEMPORARY TABLE seed_{table} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")

    def copy(self, table: str, rows: Iterable[Sequence]) -> None:
        _copy(f"seed_{table}", self.tables[table], rows)

    def insert_new(self) -> None:
        with connection.cursor() as cursor:
            for table, names in self.tables.items():
                cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM seed_{table} ON CONFLICT DO NOTHING")
                cursor.execute(f"DROP TABLE seed_{table}")


def _copy(table: str, names: str, rows: Iterable[Sequence], types: Sequence[str] = ()) -> None:
    """COPY rows in; in binary when their column types are given (twice as fast for a million)."""
    binary = " (FORMAT BINARY)" if types else ""
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _insert(model, objs: Sequence) -> None:
    """Insert the model instances whose keys are new (see _Staging)."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    table = model._meta.db_table
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the `connection` proxy costs a lookup per use
    staging = _Staging({table: [f.column for f in fields]})
    # pre_save(add=False): auto_now columns get now, auto_now_add ones keep their value.
    staging.copy(table, ([f.get_db_prep_save(f.pre_save(obj, False), db) for f in fields] for obj in objs))
    staging.insert_new()


class Command(BaseCommand):
    help = "Fill the database with a demo (users, materials, questions, attempts, sessions); safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=20, help="extra students besides the demo and staff users")
        parser.add_argument("--questions", type=int, default=500, help="questions in the demo bank")
        parser.add_argument(
            "--attempts",
            type=int,
            default=None,
            help="attempts to reach in all, shared among the students as by default (default: about 120 each)",
        )
        parser.add_argument(
            "--first-run", action="store_true", help="do nothing if the demo user exists (`make run` passes it)"
        )
        parser.add_argument("--dry-run", action="store_true", help="seed inside a transaction, report, roll back")

    def handle(
        self, *args, users: int, questions: int, attempts: int | None, first_run: bool, dry_run: bool, **options
    ):
        if first_run and self.demo_present():
            self.stdout.write("demo data already present")
            return
        started = time.monotonic()
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            self.seed(n_users=users, n_questions=questions, n_attempts=attempts)
            summary = self.summary()
            if dry_run:
                transaction.set_rollback(True)
        elapsed = time.monotonic() - started
        self.stdout.write(f"{'dry run, rolled back: ' if dry_run else ''}{summary} ({elapsed:.1f} s)")

    def demo_present(self) -> bool:
        with rls_context(role=ROLE_SYSTEM):
            return User.objects.filter(email=DEMO_EMAIL).exists()

    def seed(self, *, n_users: int, n_questions: int, n_attempts: int | None = None) -> None:
        now = timezone.now()
        users = self.seed_users(n_users=n_users, now=now)
        material_ids = self.seed_materials(users=users, now=now)
        questions = self.seed_questions(n_questions=n_questions, now=now)
        session_ids = self.seed_activity(users=users, questions=questions, now=now, n_attempts=n_attempts)
        self.seed_study_sessions(users=users, session_ids=session_ids, now=now)
        self.recount(material_ids=material_ids, question_ids=[q.id for q in questions])
        self.derive_progress(user_ids=[u.id for u in users])

    # Users ------------------------------------------------------------------------------------

    def seed_users(self, *, n_users: int, now: datetime.datetime) -> list[SeedUser]:
        students = [f"student{i:03d}@studyin.app" for i in range(1, n_users + 1)]
        with rls_context(role=ROLE_SYSTEM):
            emails = [DEMO_EMAIL, STAFF_EMAIL, *students]
            existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
            new = []
            if DEMO_EMAIL not in existing:  # Argon2 only for the two named accounts, and only once
                new.append(User(email=DEMO_EMAIL, name="Demo Student", password=make_password(DEMO_PASSWORD)))
            if STAFF_EMAIL not in existing:
                new.append(
                    User(
                        email=STAFF_EMAIL,
                        name="Staff",
                        password=make_password(STAFF_PASSWORD),
                        is_staff=True,
                        is_superuser=True,
                    )
                )
            missing = [email for email in students if email not in existing]
            shared_hash = make_password(DEMO_PASSWORD) if missing else ""
            for i, email in enumerate(missing):
                name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[i * 5 % len(LAST_NAMES)]}"
                new.append(User(email=email, name=name, password=shared_hash))
            for user in new:
                user.id = demo_id("user", user.email)
                user.is_verified = True
                user.created_at = now - datetime.timedelta(days=HISTORY_DAYS + 30)
            _insert(User, new)
            # Look the ids up: an account made by hand before the first seed keeps its own id.
            ids = dict(User.objects.filter(email__in=emails).values_list("email", "id"))
        return [
            SeedUser(DEMO_EMAIL, ids[DEMO_EMAIL], heavy=True),
            SeedUser(STAFF_EMAIL, ids[STAFF_EMAIL], heavy=False, active=False),
            *(SeedUser(email, ids[email], heavy=False) for email in students),
        ]

    # Materials --------------------------------------------------------------------------------

    def seed_materials(self, *, users: list[SeedUser], now: datetime.datetime) -> list[uuid.UUID]:
        materials, jobs = [], []
        for user in users:
            if not user.active:
                continue
            rng = random.Random(f"materials:{user.email}")
            topics = TOPICS if user.heavy else rng.sample(TOPICS, 3)
            for k, topic in enumerate(topics):
                title = rng.choice(MATERIAL_TITLES[topic]) if not user.heavy else MATERIAL_TITLES[topic][0]
                file_type, extension = rng.choice(FILE_TYPES)
                filename = f"{title.lower().replace(':', '').replace('.', '').replace(' ', '-')}.{extension}"
                created = now - datetime.timedelta(days=rng.randint(HISTORY_DAYS, HISTORY_DAYS + 25))
                material_id = demo_id("material", user.email, k)
                materials.append(
                    Material(
                        id=material_id,
                        user_id=user.id,
                        filename=filename,
                        file_path=f"materials/{user.id}/{filename}",
                        file_size=rng.randint(80_000, 25_000_000),
                        file_type=file_type,
                        title=title,
                        topic=topic,
                        tags=[topic.lower(), "step-1"],
                        processing_status=ProcessingStatus.COMPLETED,
                        processed_at=created + datetime.timedelta(minutes=3),
                        created_at=created,
                    )
                )
                for j, job_type in enumerate(JobType.values):
                    jobs.append(
                        MaterialProcessingJob(
                            id=demo_id("job", material_id, job_type),
                            material_id=material_id,
                            job_type=job_type,
                            status=JobStatus.COMPLETED,
                            started_at=created + datetime.timedelta(seconds=40 * j),
                            completed_at=created + datetime.timedelta(seconds=40 * j + 35),
                            created_at=created,
                        )
                    )
        with rls_context(role=ROLE_SYSTEM):
            _insert(Material, materials)
            _insert(MaterialProcessingJob, jobs)
        return [m.id for m in materials]

    # Questions --------------------------------------------------------------------------------

    def seed_questions(self, *, n_questions: int, now: datetime.datetime) -> list[SeedQuestion]:
        seeded = []
        for start in range(0, n_questions, BATCH):
            questions, options, explanations = [], [], []
            for i in range(start, min(start + BATCH, n_questions)):
                question, question_options, explanation = self._question(i, now)
                questions.append(question)
                options.extend(question_options)
                explanations.append(explanation)
                seeded.append(
                    SeedQuestion(
                        question.id, question.topic, question.difficulty, question.correct_index, len(question.options)
                    )
                )
            with rls_context(role=ROLE_SYSTEM):  # one transaction per batch: the rows and their options
                _insert(Question, questions)
                _insert(QuestionOption, options)
                _insert(QuestionExplanation, explanations)
        return seeded

    def _question(self, i: int, now: datetime.datetime):
        rng = random.Random(f"question:{i}")
        fact = FACTS[i % len(FACTS)]
        choices = [(fact.answer, fact.why), *fact.distractors]
        rng.shuffle(choices)
        correct_index = next(k for k, (text, _) in enumerate(choices) if text == fact.answer)
        difficulty = fact.difficulty if rng.random() < 0.7 else rng.choice(Difficulty.values)
        question_id = demo_id("question", i)
        flagged = rng.random() < 0.03
        question = Question(
            id=question_id,
            # Half the bank comes from the demo student's material on the topic.
            material_id=demo_id("material", DEMO_EMAIL, TOPICS.index(fact.topic)) if i % 2 == 0 else None,
            vignette=f"{_patient(rng, fact)} {fact.stem} {fact.lead}",
            options=[text for text, _ in choices],
            correct_index=correct_index,
            explanation=f"{fact.why} {fact.pathophysiology}",
            topic=fact.topic,
            subtopic=fact.subtopic,
            difficulty=difficulty,
            quality_score=round(rng.uniform(0.55, 0.98), 2),
            is_verified=not flagged and rng.random() < 0.6,
            is_flagged=flagged,
            metadata={"source": "seed_demo"},
            created_at=now - datetime.timedelta(days=HISTORY_DAYS + 20, seconds=-i),
        )
        options = [
            QuestionOption(
                id=demo_id("question", i, "option", k),
                question_id=question_id,
                option_index=k,
                option_text=text,
                rationale=why,
                created_at=question.created_at,
            )
            for k, (text, why) in enumerate(choices)
        ]
        explanation = QuestionExplanation(
            id=demo_id("question", i, "explanation"),
            question_id=question_id,
            correct_explanation=fact.why,
            incorrect_explanations={str(k): why for k, (_, why) in enumerate(choices) if k != correct_index},
            pathophysiology=fact.pathophysiology,
            clinical_relevance=fact.clinical,
            references=[fact.reference],
            created_at=question.created_at,
        )
        return question, options, explanation

    # Attempts and practice blocks -------------------------------------------------------------

    def activity_targets(self, *, users: list[SeedUser], n_attempts: int | None) -> dict[str, int]:
        """Attempts per student: 400 for the demo student, 40 to 200 for each other one; with
        --attempts, the same shares scaled up or down to add up to (at least) that many."""
        shares = {}
        for user in users:
            if user.active:
                shares[user.email] = 400 if user.heavy else random.Random(f"activity:{user.email}").randint(40, 200)
        if n_attempts is None:
            return shares
        total = sum(shares.values())
        return {email: math.ceil(n_attempts * share / total) for email, share in shares.items()}

    def seed_activity(
        self,
        *,
        users: list[SeedUser],
        questions: list[SeedQuestion],
        now: datetime.datetime,
        n_attempts: int | None = None,
    ) -> list[uuid.UUID]:
        """Each student answers in blocks spread over the last 60 days: most blocks are finished
        practice sessions, the rest loose review attempts. Returns the practice session ids.

        Rows are written as plain tuples (a million model instances would cost more than the
        database's work), in batches, all in one transaction."""
        if not questions:
            return []
        targets = self.activity_targets(users=users, n_attempts=n_attempts)
        session_ids = []
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            sessions = _Staging({PracticeSession._meta.db_table: SESSION_COLUMNS})
            cursor.execute(STAGE_ANSWERS)
            batch = _Rows()
            for user in users:
                if not user.active:
                    continue
                for block in _user_blocks(user, targets[user.email], questions, now):
                    batch.add(block)
                if len(batch.answers) >= ACTIVITY_BATCH:
                    session_ids.extend(batch.copy_into(sessions))
                    batch = _Rows()
            session_ids.extend(batch.copy_into(sessions))
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            sessions.insert_new()  # before their items
            cursor.execute(INSERT_ITEMS)
            cursor.execute(INSERT_ATTEMPTS)
            cursor.execute("DROP TABLE seed_answers")
            # The aggregates that follow (counters, progress, mastery) plan on these statistics;
            # autovacuum would gather them only after the seed.
            cursor.execute("ANALYZE practice_sessions, practice_session_questions, user_question_attempts")
        return session_ids

    def seed_study_sessions(
        self, *, users: list[SeedUser], session_ids: list[uuid.UUID], now: datetime.datetime
    ) -> None:
        """An analytics row for each demo practice session completed this month. study_sessions is
        partitioned by month and only the current month onwards exists, so older sessions get none;
        the rows' key includes created_at, so "exists" is checked by id, not left to a conflict."""
        month_start = now.astimezone(datetime.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        seeded = set(session_ids)
        with rls_context(role=ROLE_SYSTEM):
            practice = PracticeSession.objects.filter(
                user_id__in=[u.id for u in users],
                status=SessionStatus.COMPLETED,
                completed_at__gte=month_start,
                completed_at__lte=now,
            )
            wanted = {demo_id("study-session", p.id): p for p in practice if p.id in seeded}
            existing = set(StudySession.objects.filter(id__in=wanted).values_list("id", flat=True))
            _insert(
                StudySession,
                [
                    StudySession(
                        id=study_id,
                        user_id=p.user_id,
                        session_type=p.session_type,
                        duration_seconds=p.total_time_seconds,
                        questions_answered=p.total_questions,
                        xp_earned=p.xp_earned,
                        activity_data={"practice_session_id": str(p.id), "correct": p.correct_count},
                        started_at=p.started_at,
                        ended_at=p.completed_at,
                        created_at=p.completed_at,
                    )
                    for study_id, p in wanted.items()
                    if study_id not in existing
                ],
            )

    # Counters and what is derived from the attempts --------------------------------------------

    def recount(self, *, material_ids: list[uuid.UUID], question_ids: list[uuid.UUID]) -> None:
        """Counters from the rows, never incremented: a second run leaves them as they are.
        answer_counts gets one count per option (the answer path's studyin_count_answer grows
        the array only up to the option chosen; peer statistics read both alike)."""
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute(
                """
                WITH chosen AS (
                    SELECT question_id, selected_index, count(*) AS n, count(*) FILTER (WHERE is_correct) AS correct
                    FROM user_question_attempts
                    WHERE question_id = ANY(%(ids)s)
                    GROUP BY question_id, selected_index
                ), counted AS (
                    SELECT q.id,
                           coalesce(sum(c.n), 0)::int AS answered,
                           coalesce(sum(c.correct), 0)::int AS correct,
                           array_agg(coalesce(c.n, 0)::int ORDER BY o.i) AS counts
                    FROM questions q
                    CROSS JOIN LATERAL generate_series(0, jsonb_array_length(q.options) - 1) AS o(i)
                    LEFT JOIN chosen c ON c.question_id = q.id AND c.selected_index = o.i
                    WHERE q.id = ANY(%(ids)s)
                    GROUP BY q.id
                )
                UPDATE questions q
                SET times_answered = s.answered, times_correct = s.correct, answer_counts = s.counts
                FROM counted s
                WHERE q.id = s.id
                  AND (q.times_answered, q.times_correct, q.answer_counts) IS DISTINCT FROM (s.answered, s.correct, s.counts)
                """,
                {"ids": question_ids},
            )
            cursor.execute(
                """
                UPDATE materials m
                SET question_count = (SELECT count(*) FROM questions q WHERE q.material_id = m.id),
                    chunk_count = (SELECT count(*) FROM material_chunks c WHERE c.material_id = m.id)
                WHERE m.id = ANY(%s)
                """,
                [material_ids],
            )

    def derive_progress(self, *, user_ids: list[uuid.UUID]) -> None:
        """Each student's progress per question and mastery per topic, aggregated from all their
        attempts (the totals the answer path keeps one answer at a time). Only rows that are
        missing or disagree reach the INSERT: ON CONFLICT DO UPDATE locks every row it meets, even
        one its WHERE then leaves alone, so a second run would rewrite every page."""
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(
                """
                WITH derived AS (
                    SELECT user_id, question_id, count(*)::int AS total, (count(*) FILTER (WHERE is_correct))::int AS correct,
                           avg(confidence_rating)::float AS confidence, avg(time_taken_seconds)::float AS seconds,
                           min(answered_at) AS first_at, max(answered_at) AS last_at
                    FROM user_question_attempts
                    WHERE user_id = ANY(%s)
                    GROUP BY user_id, question_id
                )
                INSERT INTO user_progress AS p (id, user_id, question_id, total_attempts, correct_attempts,
                                                avg_confidence, avg_time_seconds, last_attempt_at, created_at, updated_at)
                SELECT gen_random_uuid(), d.user_id, d.question_id, d.total, d.correct, d.confidence, d.seconds,
                       d.last_at, d.first_at, d.last_at
                FROM derived d
                LEFT JOIN user_progress old ON old.user_id = d.user_id AND old.question_id = d.question_id
                WHERE (old.total_attempts, old.correct_attempts, old.avg_confidence, old.avg_time_seconds,
                       old.last_attempt_at) IS DISTINCT FROM (d.total, d.correct, d.confidence, d.seconds, d.last_at)
                ON CONFLICT (user_id, question_id) DO UPDATE SET
                    total_attempts = EXCLUDED.total_attempts,
                    correct_attempts = EXCLUDED.correct_attempts,
                    avg_confidence = EXCLUDED.avg_confidence,
                    avg_time_seconds = EXCLUDED.avg_time_seconds,
                    last_attempt_at = EXCLUDED.last_attempt_at,
                    updated_at = EXCLUDED.updated_at
                """,
                [user_ids],
            )
            proficiency = PROFICIENCY_SQL.format(n="count(*)", c="count(*) FILTER (WHERE a.is_correct)")
            cursor.execute(
                f"""
                WITH derived AS (
                    SELECT a.user_id, q.topic, count(*)::int AS answered,
                           (count(*) FILTER (WHERE a.is_correct))::int AS correct,
                           {proficiency} AS level, max(a.answered_at) AS last_at
                    FROM user_question_attempts a
                    JOIN questions q ON q.id = a.question_id
                    WHERE a.user_id = ANY(%s)
                    GROUP BY a.user_id, q.topic
                )
                INSERT INTO mastery_levels AS m (id, user_id, topic, questions_answered, questions_correct,
                                                 proficiency_level, last_updated)
                SELECT gen_random_uuid(), d.user_id, d.topic, d.answered, d.correct, d.level, d.last_at
                FROM derived d
                LEFT JOIN mastery_levels old ON old.user_id = d.user_id AND old.topic = d.topic
                WHERE (old.questions_answered, old.questions_correct, old.proficiency_level)
                    IS DISTINCT FROM (d.answered, d.correct, d.level)
                ON CONFLICT (user_id, topic) DO UPDATE SET
                    questions_answered = EXCLUDED.questions_answered,
                    questions_correct = EXCLUDED.questions_correct,
                    proficiency_level = EXCLUDED.proficiency_level,
                    last_updated = EXCLUDED.last_updated
                """,
                [user_ids],
            )

    def summary(self) -> str:
        with rls_context(role=ROLE_SYSTEM):
            counts = {
                "users": User.objects.count(),
                "materials": Material.objects.count(),
                "questions": Question.objects.count(),
                "option rows": QuestionOption.objects.count(),
                "attempts": UserQuestionAttempt.objects.count(),
                "progress rows": UserProgress.objects.count(),
                "mastery rows": MasteryLevel.objects.count(),
                "practice sessions": PracticeSession.objects.count(),
                "study sessions": StudySession.objects.count(),
            }
        return "demo data: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
