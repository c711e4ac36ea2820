"""Demo data for development and benchmarks: `manage.py seed_demo [--users N] [--questions N]`.

Safe to run twice: every row has a deterministic id (uuid5 of a fixed namespace and the row's
place in the demo), inserts skip rows that exist, and counters are recounted from the rows.
Random choices come from generators seeded per user and per question, so a second run draws
the same rows (and is then turned away by the conflicts).
"""

import contextlib
import datetime
import math
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from analytics.models import StudySession
from materials.models import JobStatus, JobType, Material, MaterialProcessingJob, ProcessingStatus
from practice.models import PracticeSession, PracticeSessionQuestion, SessionStatus, SessionType
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


def _insert(model, objs: Sequence) -> None:
    """Insert the rows whose keys are new: COPY into a temporary twin of the table, then
    INSERT ... SELECT ... ON CONFLICT DO NOTHING (COPY alone cannot skip existing rows).

    Several times faster than bulk_create, and it keeps the rows' own timestamps where
    bulk_create would overwrite an auto_now_add column (answered_at, started_at) with now."""
    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.generated]
    table, temp = model._meta.db_table, f"seed_{model._meta.db_table}"
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # "references" is reserved
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the `connection` proxy costs a lookup per use
    with db.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {temp} ({names}) FROM STDIN") as copy:
            for obj in objs:
                # pre_save(add=False): auto_now columns get now, auto_now_add ones keep their value.
                copy.write_row([f.get_db_prep_save(f.pre_save(obj, False), db) for f in fields])
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {temp} ON CONFLICT DO NOTHING")
        cursor.execute(f"DROP TABLE {temp}")


class Command(BaseCommand):
    help = "Fill the database with a demo (users, materials, questions, attempts, sessions); safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=20, help="extra students besides the demo and staff users")
        parser.add_argument("--questions", type=int, default=500, help="questions in the demo bank")
        parser.add_argument(
            "--first-run", action="store_true", help="do nothing if the demo user exists (`make run` passes it)"
        )
        parser.add_argument("--dry-run", action="store_true", help="seed inside a transaction, report, roll back")

    def handle(self, *args, users: int, questions: int, first_run: bool, dry_run: bool, **options):
        if first_run and self.demo_present():
            self.stdout.write("demo data already present")
            return
        started = time.monotonic()
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            self.seed(n_users=users, n_questions=questions)
            summary = self.summary()
            if dry_run:
                transaction.set_rollback(True)
        elapsed = time.monotonic() - started
        self.stdout.write(f"{'dry run, rolled back: ' if dry_run else ''}{summary} ({elapsed:.1f} s)")

    def demo_present(self) -> bool:
        with rls_context(role=ROLE_SYSTEM):
            return User.objects.filter(email=DEMO_EMAIL).exists()

    def seed(self, *, n_users: int, n_questions: int) -> None:
        now = timezone.now()
        users = self.seed_users(n_users=n_users, now=now)
        material_ids = self.seed_materials(users=users, now=now)
        questions = self.seed_questions(n_questions=n_questions, now=now)
        session_ids = self.seed_activity(users=users, questions=questions, now=now)
        self.seed_study_sessions(session_ids=session_ids, now=now)
        self.recount(material_ids=material_ids, question_ids=[q.id for q in questions])

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

    # Attempts and practice sessions -----------------------------------------------------------

    def seed_activity(
        self, *, users: list[SeedUser], questions: list[SeedQuestion], now: datetime.datetime
    ) -> list[uuid.UUID]:
        """Each user studies on some of the last 60 days, in blocks of questions; most blocks are
        completed practice sessions, the rest loose review attempts. Returns the session ids."""
        if not questions:
            return []
        sessions, items, attempts = [], [], []
        for user in users:
            if user.active:
                self._user_activity(user, questions, now, sessions, items, attempts)
        with rls_context(role=ROLE_SYSTEM):
            _insert(PracticeSession, sessions)
            _insert(PracticeSessionQuestion, items)
        with rls_context(role=ROLE_SYSTEM):
            _insert(UserQuestionAttempt, attempts)
        return [s.id for s in sessions]

    def _user_activity(self, user, questions, now, sessions: list, items: list, attempts: list) -> None:
        rng = random.Random(f"activity:{user.email}")
        target = 400 if user.heavy else rng.randint(40, 200)
        skill = rng.uniform(0.55, 0.85)
        days = sorted(rng.sample(range(HISTORY_DAYS), k=min(HISTORY_DAYS, max(1, target // 12))), reverse=True)
        block_size = min(len(questions), math.ceil(target / len(days)))
        for b, days_ago in enumerate(days):
            start = now - datetime.timedelta(days=days_ago, hours=rng.randint(1, 12), minutes=rng.randint(0, 59))
            session_type = rng.choice(SessionType.values) if rng.random() < 0.8 else None
            session_id = demo_id("session", user.email, b) if session_type else None
            attempt_type = {SessionType.TEST: AttemptType.TEST, SessionType.REVIEW: AttemptType.REVIEW}.get(
                session_type, AttemptType.PRACTICE if session_type else AttemptType.REVIEW
            )
            picks = [questions[k] for k in rng.sample(range(len(questions)), block_size)]
            answered_at, correct_count = start, 0
            for order, q in enumerate(picks, 1):
                is_correct = rng.random() < skill + DIFFICULTY_SHIFT[q.difficulty]
                selected = (
                    q.correct_index
                    if is_correct
                    else rng.choice([k for k in range(q.option_count) if k != q.correct_index])
                )
                seconds = rng.randint(25, 140)
                confidence = rng.randint(3, 5) if is_correct else rng.randint(1, 4)
                answered_at += datetime.timedelta(seconds=seconds)
                correct_count += is_correct
                attempts.append(
                    UserQuestionAttempt(
                        id=demo_id("attempt", user.email, b, order),
                        user_id=user.id,
                        question_id=q.id,
                        selected_index=selected,
                        is_correct=is_correct,
                        confidence_rating=confidence,
                        time_taken_seconds=seconds,
                        attempt_type=attempt_type,
                        session_id=session_id,
                        answered_at=answered_at,
                    )
                )
                if session_id:
                    items.append(
                        PracticeSessionQuestion(
                            id=demo_id("session", user.email, b, order),
                            session_id=session_id,
                            question_id=q.id,
                            question_order=order,
                            is_correct=is_correct,
                            time_taken_seconds=seconds,
                            answered_at=answered_at,
                        )
                    )
            if session_id:
                sessions.append(
                    PracticeSession(
                        id=session_id,
                        user_id=user.id,
                        session_type=session_type,
                        settings={"question_count": block_size, "topics": sorted({q.topic for q in picks})},
                        total_questions=block_size,
                        correct_count=correct_count,
                        total_time_seconds=int((answered_at - start).total_seconds()),
                        xp_earned=0,  # XP is the gamification services' to award
                        status=SessionStatus.COMPLETED,
                        started_at=start,
                        completed_at=answered_at,
                        created_at=start,
                    )
                )

    def seed_study_sessions(self, *, session_ids: list[uuid.UUID], now: datetime.datetime) -> None:
        """An analytics row for each demo practice session completed this month. study_sessions is
        partitioned by month and only the current month onwards exists, so older sessions get none;
        the rows' key includes created_at, so "exists" is checked by id, not left to a conflict."""
        month_start = now.astimezone(datetime.UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        with rls_context(role=ROLE_SYSTEM):
            practice = PracticeSession.objects.filter(
                id__in=session_ids,
                status=SessionStatus.COMPLETED,
                completed_at__gte=month_start,
                completed_at__lte=now,
            )
            wanted = {demo_id("study-session", p.id): p for p in practice}
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

    # Counters ---------------------------------------------------------------------------------

    def recount(self, *, material_ids: list[uuid.UUID], question_ids: list[uuid.UUID]) -> None:
        """Counters from the rows, never incremented: a second run leaves them as they are."""
        with rls_context(role=ROLE_SYSTEM), connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE questions q
                SET times_answered = s.answered, times_correct = s.correct
                FROM (
                    SELECT q2.id,
                           count(a.id) AS answered,
                           count(a.id) FILTER (WHERE a.is_correct) AS correct
                    FROM questions q2
                    LEFT JOIN user_question_attempts a ON a.question_id = q2.id
                    WHERE q2.id = ANY(%s)
                    GROUP BY q2.id
                ) s
                WHERE q.id = s.id AND (q.times_answered, q.times_correct) IS DISTINCT FROM (s.answered, s.correct)
                """,
                [question_ids],
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

    def summary(self) -> str:
        with rls_context(role=ROLE_SYSTEM):
            counts = {
                "users": User.objects.count(),
                "materials": Material.objects.count(),
                "questions": Question.objects.count(),
                "option rows": QuestionOption.objects.count(),
                "attempts": UserQuestionAttempt.objects.count(),
                "practice sessions": PracticeSession.objects.count(),
                "study sessions": StudySession.objects.count(),
            }
        return "demo data: " + ", ".join(f"{n:,} {name}" for name, n in counts.items())
